"""Limits on how fast and how widely one user may use the websocket.

State lives in Django's cache, so with ``REDIS_URL`` every worker process
shares it. The cache offers no compare-and-swap, so two processes taking a
token for the same user and room in the same instant can both succeed: the
limit can be exceeded by at most one message per concurrent process, which is
acceptable for a flood guard and keeps to the cache's public API.
"""

import time

from django.conf import settings
from django.core.cache import cache

SOCKET_COUNT_TTL = 6 * 60 * 60  # forget counts a crashed worker could not release


def message_token_take(*, user_id: int, room_id: int) -> float:
    """Take one token from the user's bucket for this room.

    Returns 0 when the message may go, otherwise the seconds until it may.
    Buckets hold ``PARLEY_MESSAGE_BURST`` tokens and refill at
    ``PARLEY_MESSAGE_RATE`` per second.
    """
    burst = settings.PARLEY_MESSAGE_BURST
    rate = settings.PARLEY_MESSAGE_RATE
    key = f"parley:bucket:{user_id}:{room_id}"
    now = time.time()
    tokens, updated = cache.get(key, (float(burst), now))
    tokens = min(float(burst), tokens + max(0.0, now - updated) * rate)
    if tokens < 1:
        return (1 - tokens) / rate
    cache.set(key, (tokens - 1, now), timeout=int(burst / rate) + 2)
    return 0.0


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
