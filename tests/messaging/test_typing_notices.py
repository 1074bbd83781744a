"""Typing notices: throttled per socket, sent at once to the room's pages that show presence."""

import asyncio

from channels.layers import get_channel_layer

from messaging import typing_notices
from messaging.typing_notices import TypingThrottle, typing_announce
from realtime import events
from realtime.groups import room_presence_group_name


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_first_keystroke_is_announced_and_the_next_ones_wait_for_the_interval():
    clock = Clock()
    throttle = TypingThrottle(clock=clock)

    assert throttle.due(active=True)
    throttle.sent(active=True)
    clock.now += typing_notices.TYPING_MIN_INTERVAL - 0.1
    assert not throttle.due(active=True)
    clock.now += 0.1
    assert throttle.due(active=True)


def test_stopping_is_always_announced_and_the_next_keystroke_goes_out_at_once():
    clock = Clock()
    throttle = TypingThrottle(clock=clock)
    throttle.sent(active=True)

    assert throttle.due(active=False)
    throttle.sent(active=False)
    assert throttle.due(active=True)


def test_a_notice_not_sent_does_not_restart_the_interval():
    """Refused by the user's frame budget, say: the next keystroke may still go."""
    clock = Clock()
    throttle = TypingThrottle(clock=clock)

    assert throttle.due(active=True)
    clock.now += 0.5
    assert throttle.due(active=True)


async def test_a_typing_notice_reaches_the_rooms_presence_group_at_once():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(room_presence_group_name(7), channel)
    ada = events.person(username="ada", display_name="Ada Lovelace")

    await typing_announce(room_id=7, user=ada, active=True)

    assert await asyncio.wait_for(layer.receive(channel), 1) == {
        "type": "typing",
        "user": {"username": "ada", "display_name": "Ada Lovelace", "avatar_url": None},
        "active": True,
    }
