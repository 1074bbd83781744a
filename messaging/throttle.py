"""Limits on how fast and how widely one user may use the websocket.

Two kinds of bucket. A socket's own ``FrameBudget`` lives in its consumer's
memory and is checked before a frame is even read, so a flood costs a
counter per frame. The per-user buckets, for work that reaches the database
or the channel layer, live in Django's cache, so with ``REDIS_URL`` every
worker process shares them. The cache offers no compare-and-swap, so two
processes taking a token for the same user in the same instant can both
succeed: a limit can be exceeded by at most one frame per concurrent
process, which is acceptable for a flood guard and keeps to the cache's
public API.
"""

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

SOCKET_COUNT_TTL = 6 * 60 * 60  # forget counts a crashed worker could not release


def retry_after_seconds(wait: float) -> float:
    """``wait`` in hundredths of a second, rounded up: a refusal never says "retry in 0 s"."""
    return math.ceil(wait * 100) / 100


class FrameBudget:
    """One socket's token bucket: ``burst`` frames, refilled at ``rate`` per second.

    Taking past the budget overdraws it: a socket that keeps sending while
    refused digs itself deeper, and ``overdrawn`` says by how many frames, so
    a flood is told apart from a page that sent a few frames too many. It reads
    ``clock`` (monotonic, so a wall-clock change never refills it), which a test
    can replace to refill it without waiting.
    """

    def __init__(
        self, *, burst: int, rate: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.burst = float(burst)
        self.rate = rate
        self.clock = clock
        self.tokens = float(burst)
        self.updated = clock()

    def take(self) -> float:
        """Take a token; 0 when the frame may go, otherwise the seconds until one may."""
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1
        if self.tokens >= 0:
            return 0.0
        return (1 - self.tokens) / self.rate

    @property
    def overdrawn(self) -> int:
        """Frames taken past the budget and not yet paid back by the refill."""
        return max(0, math.ceil(-self.tokens))


@dataclass(frozen=True)
class _Bucket:
    key: str
    burst: int
    rate: float


def _buckets_take(buckets: list[_Bucket]) -> float:
    """Take one token from every bucket, or from none of them.

    Returns 0 when all had a token, otherwise the seconds until all will: a
    refusal by one bucket does not use up a token of the others.
    """
    now = time.time()
    stored = cache.get_many([bucket.key for bucket in buckets])
    levels = []
    wait = 0.0
    for bucket in buckets:
        tokens, updated = stored.get(bucket.key, (float(bucket.burst), now))
        tokens = min(float(bucket.burst), tokens + max(0.0, now - updated) * bucket.rate)
        levels.append(tokens)
        if tokens < 1:
            wait = max(wait, (1 - tokens) / bucket.rate)
    if wait:
        return wait
    # Kept until even the slowest of them would be full again.
    timeout = max(int(bucket.burst / bucket.rate) + 2 for bucket in buckets)
    cache.set_many(
        {bucket.key: (tokens - 1, now) for bucket, tokens in zip(buckets, levels, strict=True)},
        timeout=timeout,
    )
    return 0.0


def message_token_take(*, user_id: int, room_id: int) -> float:
    """Take a token for one message (posted, edited or deleted) by the user in the room.

    Returns 0 when it may go, otherwise the seconds until it may. Two buckets
    must both have a token: the user's for this room (``PARLEY_MESSAGE_BURST``
    tokens refilled at ``PARLEY_MESSAGE_RATE`` per second) and the user's
    across all rooms (``PARLEY_USER_MESSAGE_BURST`` and ``_RATE``), so opening
    more rooms does not multiply what one account may send.
    """
    return _buckets_take(
        [
            _Bucket(
                f"parley:bucket:{user_id}:{room_id}",
                settings.PARLEY_MESSAGE_BURST,
                settings.PARLEY_MESSAGE_RATE,
            ),
            _Bucket(
                f"parley:bucket:{user_id}",
                settings.PARLEY_USER_MESSAGE_BURST,
                settings.PARLEY_USER_MESSAGE_RATE,
            ),
        ]
    )


def frame_token_take(*, user_id: int) -> float:
    """Take a token for another frame that costs the server work (read markers, typing).

    Shared by all of the user's sockets: ``PARLEY_USER_FRAME_BURST`` tokens
    refilled at ``PARLEY_USER_FRAME_RATE`` per second.
    """
    return _buckets_take(
        [
            _Bucket(
                f"parley:frames:{user_id}",
                settings.PARLEY_USER_FRAME_BURST,
                settings.PARLEY_USER_FRAME_RATE,
            )
        ]
    )


def _socket_count_key(user_id: int) -> str:
    return f"parley:sockets:{user_id}"


def socket_slot_acquire(*, user_id: int) -> bool:
    """Count one more open socket for the user; False (and nothing counted) past the limit."""
    key = _socket_count_key(user_id)
    cache.add(key, 0, timeout=SOCKET_COUNT_TTL)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=SOCKET_COUNT_TTL)
        count = 1
    if count > settings.PARLEY_MAX_SOCKETS_PER_USER:
        socket_slot_release(user_id=user_id)
        return False
    return True


def socket_slot_release(*, user_id: int) -> None:
    try:
        if cache.decr(_socket_count_key(user_id)) < 0:
            cache.set(_socket_count_key(user_id), 0, timeout=SOCKET_COUNT_TTL)
    except ValueError:  # already forgotten
        pass
