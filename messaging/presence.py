"""Who has a room open right now, kept in the cache (Redis with ``REDIS_URL``).

Each user has one entry per room: the channel names of their open sockets
with an expiry each. A socket refreshes its expiry on every heartbeat, so the
sockets of a worker that died without saying goodbye drop out by themselves
after three missed heartbeats. A user with two tabs is one entry with two
channels: online until the last one closes. Only one user's own tabs write
the same entry, so the cache's lack of compare-and-swap costs at most a
heartbeat's worth of staleness.
"""

import time

from django.conf import settings
from django.core.cache import cache


def presence_ttl() -> float:
    """An entry outlives three missed heartbeats, then its socket counts as gone."""
    return 3 * settings.PARLEY_PRESENCE_HEARTBEAT


def _key(room_id: int, user_id: int) -> str:
    return f"parley:presence:{room_id}:{user_id}"


def _alive(entries: dict[str, float] | None, now: float) -> dict[str, float]:
    return {channel: expires for channel, expires in (entries or {}).items() if expires > now}


def presence_enter(*, room_id: int, user_id: int, channel: str) -> bool:
    """Mark the socket present (also the heartbeat). True if the user just came online."""
    now = time.time()
    entries = _alive(cache.get(_key(room_id, user_id)), now)
    was_online = bool(entries)
    entries[channel] = now + presence_ttl()
    cache.set(_key(room_id, user_id), entries, timeout=int(presence_ttl()) + 1)
    return not was_online


def presence_leave(*, room_id: int, user_id: int, channel: str) -> bool:
    """Forget the socket. True if that was the user's last one: they went offline."""
    now = time.time()
    entries = _alive(cache.get(_key(room_id, user_id)), now)
    entries.pop(channel, None)
    if entries:
        cache.set(_key(room_id, user_id), entries, timeout=int(presence_ttl()) + 1)
        return False
    cache.delete(_key(room_id, user_id))
    return True


def presence_online(*, room_id: int, user_ids: list[int]) -> set[int]:
    """Which of ``user_ids`` have at least one live socket in the room (one round trip)."""
    now = time.time()
    keys = {_key(room_id, user_id): user_id for user_id in user_ids}
    found = cache.get_many(list(keys))
    return {keys[key] for key, entries in found.items() if _alive(entries, now)}
