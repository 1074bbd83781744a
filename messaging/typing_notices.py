"""Typing notices: never stored, sent at once to the pages that show them, throttled per socket."""

import time
from collections.abc import Callable

from realtime import events
from realtime.broadcast import group_send
from realtime.groups import room_presence_group_name

# A typing notice goes out at most this often per socket; pages drop it after a few seconds.
TYPING_MIN_INTERVAL = 2.5


class TypingThrottle:
    """One socket's notices: an ``active`` one at most every TYPING_MIN_INTERVAL.

    ``active: false`` is never held back, so the others' pages clear the
    notice at once, and the next keystroke after it is announced again.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.active_sent_at: float | None = None

    def due(self, *, active: bool) -> bool:
        """Whether a notice should go out now (the caller may still refuse it)."""
        sent_at = self.active_sent_at
        return not active or sent_at is None or self.clock() - sent_at >= TYPING_MIN_INTERVAL

    def sent(self, *, active: bool) -> None:
        self.active_sent_at = self.clock() if active else None


async def typing_announce(*, room_id: int, user: events.Person, active: bool) -> None:
    """Tell the room's open pages that ``user`` is typing, or stopped."""
    await group_send(room_presence_group_name(room_id), events.typing(user=user, active=active))
