"""Each consumer's tables: every frame and every event it can get has a handler, nothing else."""

import asyncio
import inspect
from dataclasses import dataclass
from typing import get_args

import pytest

from messaging import protocol
from messaging.consumers import InboxConsumer, RoomConsumer
from messaging.consumers.base import SocketConsumer, Strikes
from realtime import events

# What reaches a room socket through its groups (room, user, session, presence) and its buffer.
ROOM_SOCKET_EVENTS = [
    events.message_edited(message={}),
    events.message_deleted(id=1),
    events.reaction_added(
        message_id=1, emoji="👍", user=events.person(username="a", display_name="")
    ),
    events.reaction_removed(
        message_id=1, emoji="👍", user=events.person(username="a", display_name="")
    ),
    events.message_pinned(
        message={"id": 1}, pinned_by=events.person(username="a", display_name="")
    ),
    events.message_unpinned(id=1),
    events.room_updated(room={}),
    events.member_updated_event(user_id=1, username="ada", role="member", muted_until=None),
    events.membership_revoked(user_id=1, reason="left"),
    events.presence_changed(user=events.person(username="ada", display_name="Ada"), online=True),
    events.typing(user=events.person(username="ada", display_name="Ada"), active=True),
    events.room_read(room="lobby", last_read_id=1),
    events.inbox_changed(),
    events.session_ended(),
    events.layer_lost(),
    events.inbound_overflow(),
]
# What reaches the sidebar's socket: its user and session groups, and each room's activity.
INBOX_SOCKET_EVENTS = [
    events.room_activity(room="lobby", id=1, author_id=1, author="Ada", mention_ids=[], excerpt=""),
    events.room_read(room="lobby", last_read_id=1),
    events.inbox_changed(),
    events.session_ended(),
    events.layer_lost(),
    events.inbound_overflow(),
]


def test_the_room_consumer_has_one_handler_for_each_frame_class_of_the_protocol():
    assert set(RoomConsumer.frame_handlers) == set(get_args(protocol.Frame))
    assert all(inspect.iscoroutinefunction(h) for h in RoomConsumer.frame_handlers.values())


@pytest.mark.parametrize(
    ("consumer", "received"),
    [(RoomConsumer, ROOM_SOCKET_EVENTS), (InboxConsumer, INBOX_SOCKET_EVENTS)],
    ids=["room", "inbox"],
)
def test_each_consumer_handles_exactly_the_events_its_groups_bring(consumer, received):
    assert set(consumer.event_handlers) == {event["type"] for event in received}
    assert all(inspect.iscoroutinefunction(h) for h in consumer.event_handlers.values())


def test_every_socket_closes_on_the_session_ending_and_the_layer_lost():
    for consumer in (RoomConsumer, InboxConsumer):
        for event_type in ("session.ended", "layer.lost", "inbound.overflow"):
            assert consumer.event_handlers[event_type] is SocketConsumer.event_handlers[event_type]


@dataclass(frozen=True)
class Pin:
    """A frame class the protocol might grow before the consumer learns it."""

    id: int


def test_a_frame_class_without_a_handler_cannot_be_dispatched_silently(monkeypatch):
    consumer = RoomConsumer()
    consumer.room = object()
    monkeypatch.setattr(protocol, "frame_parse", lambda **kwargs: Pin(id=1))

    with pytest.raises(KeyError, match="Pin"):
        asyncio.run(consumer.frame_receive('{"type": "pin", "id": 1}', None))


def test_an_event_without_a_handler_is_an_error_not_ignored():
    consumer = RoomConsumer()

    with pytest.raises(ValueError, match=r"No handler for message type message\.starred"):
        asyncio.run(consumer.dispatch({"type": "message.starred"}))


def test_strikes_count_refusals_in_a_row_and_close_past_the_limit():
    strikes = Strikes(limit=2)

    assert [strikes.add(), strikes.add(), strikes.add()] == [False, False, True]
    strikes.clear()
    assert strikes.add() is False
