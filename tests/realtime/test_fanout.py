"""New messages through the process's room fan-out (realtime/fanout.py).

One fan-out channel per process is the only member of a room's message
group; it writes each message to the room's local sockets directly. These
tests hold it to what the per-socket channels guaranteed: every other socket
of the room gets each message once and in order, after its history frame,
and nothing reaches other rooms. A client that stops reading gets its frames
late and in order, or, past the backlog limit, a 4503 close to reconnect and
catch up.
"""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.layers import channel_layers, get_channel_layer
from channels.testing import WebsocketCommunicator

from config.asgi import application
from messaging.consumers import room as room_consumer
from messaging.models import Message
from messaging.services import message_create
from realtime import fanout, layers
from realtime.fanout import room_fanout
from realtime.groups import room_group_name, room_messages_group_name
from tests.support.factories import MembershipFactory, UserFactory
from tests.support.sockets import ORIGIN, close_code, joined, send, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


async def test_each_other_socket_gets_each_message_once_and_the_sender_only_its_ack(
    open_socket, member, other_member
):
    sender = await open_socket(member.user)
    senders_other_tab = await open_socket(member.user)
    receiver = await open_socket(other_member.user)
    for socket in (sender, senders_other_tab, receiver):
        await joined(socket)

    for n in range(5):
        await send(sender, f"message {n}", client_id=f"c-{n}")
    acks = [await sender.receive_json_from() for _ in range(5)]
    other_tab = [await senders_other_tab.receive_json_from() for _ in range(5)]
    theirs = [await receiver.receive_json_from() for _ in range(5)]

    ids = [frame["message"]["id"] for frame in acks]
    assert ids == sorted(ids)
    assert [frame["message"]["id"] for frame in other_tab] == ids
    assert [frame["message"]["id"] for frame in theirs] == ids
    assert [frame["message"]["body"] for frame in theirs] == [f"message {n}" for n in range(5)]
    for socket in (sender, senders_other_tab, receiver):
        assert await socket.receive_nothing()


async def test_the_process_joins_a_rooms_message_group_once_and_leaves_with_the_last_socket(
    open_socket, member, other_member, room
):
    layer = get_channel_layer()
    group = room_messages_group_name(room.pk)
    sockets = [await open_socket(member.user) for _ in range(2)] + [
        await open_socket(other_member.user)
    ]
    for socket in sockets:
        await joined(socket)

    assert list(layer.groups[group]) == [room_fanout().channel_name]

    for socket in sockets:
        await socket.disconnect()
    assert group not in layer.groups


async def test_a_message_stored_while_a_socket_connects_comes_after_its_history(
    open_socket, member, other_member, monkeypatch
):
    """The socket is in the fan-out before it reads history; what arrives meanwhile waits."""
    real_history_frame = room_consumer.history_frame

    async def history_after_another_message(**kwargs):
        await database_sync_to_async(message_create)(
            room=member.room, author=other_member.user, body="sent during the handshake"
        )
        return await real_history_frame(**kwargs)

    monkeypatch.setattr(room_consumer, "history_frame", history_after_another_message)
    socket = await open_socket(member.user)

    history = await joined(socket)
    following = await socket.receive_json_from()

    # Stored before history was read, so it is in it, and (already announced) once more after.
    assert [m["body"] for m in history["messages"]] == ["sent during the handshake"]
    assert following["type"] == "message.new"
    assert following["message"]["body"] == "sent during the handshake"


async def test_a_message_reaches_only_its_rooms_sockets(open_socket, member):
    elsewhere = await database_sync_to_async(MembershipFactory)(user=member.user)
    here = await open_socket(member.user)
    there = await open_socket(member.user, elsewhere.room.slug)
    await joined(here)
    await joined(there)
    neighbour = await database_sync_to_async(UserFactory)()
    await database_sync_to_async(MembershipFactory)(user=neighbour, room=member.room)

    await database_sync_to_async(message_create)(room=member.room, author=neighbour, body="hi")

    assert (await here.receive_json_from())["message"]["body"] == "hi"
    assert await there.receive_nothing()


class SlowReader:
    """An ASGI wrapper whose websocket writes wait while ``reading`` is clear, like a
    server waiting for a client that stopped reading to drain its socket."""

    def __init__(self, app):
        self.app = app
        self.reading = asyncio.Event()
        self.reading.set()

    async def __call__(self, scope, receive, send):
        async def slow_send(message):
            if message["type"] == "websocket.send":
                await self.reading.wait()
            await send(message)

        await self.app(scope, receive, slow_send)


async def slow_socket(user, slug: str) -> tuple[WebsocketCommunicator, SlowReader]:
    slow = SlowReader(application)
    cookie = await database_sync_to_async(session_cookie)(user)
    headers = [(b"origin", ORIGIN), (b"host", b"127.0.0.1"), (b"cookie", cookie)]
    return WebsocketCommunicator(slow, f"/ws/rooms/{slug}/", headers=headers), slow


async def sender_and_slow_reader(open_socket, member, other_member) -> tuple:
    sender = await open_socket(member.user)
    await joined(sender)
    reader, slow = await slow_socket(other_member.user, member.room.slug)
    await joined(reader)
    return sender, reader, slow


async def send_while_not_reading(sender, slow: SlowReader, count: int) -> None:
    """``count`` messages, each acknowledged, while the reader reads nothing; then it reads."""
    slow.reading.clear()
    for n in range(count):
        await send(sender, f"message {n}", client_id=f"c-{n}")
        assert (await sender.receive_json_from())["type"] == "message.new"
    await asyncio.sleep(0.1)  # the fan-out tries each of them while the reader is stuck
    slow.reading.set()


async def test_a_client_that_stops_reading_gets_every_message_late_and_in_order(
    open_socket, member, other_member, settings
):
    settings.PARLEY_MESSAGE_BURST = settings.PARLEY_USER_MESSAGE_BURST = 100
    sender, reader, slow = await sender_and_slow_reader(open_socket, member, other_member)

    await send_while_not_reading(sender, slow, 20)

    bodies = [(await reader.receive_json_from())["message"]["body"] for _ in range(20)]
    assert bodies == [f"message {n}" for n in range(20)]
    # Frames go straight out again once the backlog is sent.
    await send(sender, "after", client_id="after")
    assert (await reader.receive_json_from())["message"]["body"] == "after"
    await reader.disconnect()


async def test_a_client_too_far_behind_is_closed_with_4503_to_catch_up(
    open_socket, member, other_member, settings
):
    settings.PARLEY_OUTBOUND_MAX_FRAMES = 3
    sender, reader, slow = await sender_and_slow_reader(open_socket, member, other_member)

    await send_while_not_reading(sender, slow, 8)

    # The write that was waiting goes out; the rest was dropped for the close.
    first = await reader.receive_json_from()
    assert first["message"]["body"] == "message 0"
    assert await close_code(reader) == 4503
    assert await database_sync_to_async(Message.objects.count)() == 8


async def test_sockets_close_with_4503_when_the_fan_out_loses_the_channel_layer(
    open_socket, member, other_member
):
    sockets = [await open_socket(member.user), await open_socket(other_member.user)]
    for socket in sockets:
        await joined(socket)

    await get_channel_layer().send(room_fanout().channel_name, {"type": "layer.lost"})

    for socket in sockets:
        assert await close_code(socket) == 4503


async def test_an_edit_of_a_message_still_waiting_for_a_slow_client_arrives_after_it(
    open_socket, member, other_member
):
    sender, reader, slow = await sender_and_slow_reader(open_socket, member, other_member)

    slow.reading.clear()
    await send(sender, "first version", client_id="c-1")
    sent = await sender.receive_json_from()
    await asyncio.sleep(0.1)  # the fan-out's write to the reader is now waiting
    await sender.send_json_to({"type": "message.edit", "id": sent["message"]["id"], "body": "v2"})
    assert (await sender.receive_json_from())["type"] == "message.edited"
    await asyncio.sleep(0.1)
    slow.reading.set()

    frames = [await reader.receive_json_from() for _ in range(2)]
    assert [frame["type"] for frame in frames] == ["message.new", "message.edited"]
    assert frames[1]["message"]["body"] == "v2"
    await reader.disconnect()


async def test_a_socket_told_twice_that_the_layer_is_lost_closes_once(
    open_socket, member, other_member, room
):
    sockets = [await open_socket(member.user), await open_socket(other_member.user)]
    for socket in sockets:
        await joined(socket)
    layer = get_channel_layer()

    # As the Redis layer does: every channel of the process hears it, the fan-out's too.
    for channel in [room_fanout().channel_name, *layer.groups[room_group_name(room.pk)]]:
        await layer.send(channel, {"type": "layer.lost"})

    for socket in sockets:
        assert await close_code(socket) == 4503
        assert await socket.receive_nothing()


async def test_the_fan_out_renews_its_group_membership_before_the_layer_forgets_it(
    open_socket, member, other_member, settings, monkeypatch
):
    settings.CHANNEL_LAYERS = {
        "default": {"BACKEND": "realtime.layers.LocalChannelLayer", "CONFIG": {"group_expiry": 1}}
    }
    channel_layers.backends.clear()
    monkeypatch.setattr(layers, "SWEEP_INTERVAL", 0.0)
    monkeypatch.setattr(fanout, "GROUP_RENEW_SECONDS", 0.3)
    sender = await open_socket(member.user)
    receiver = await open_socket(other_member.user)
    await joined(sender)
    await joined(receiver)

    await asyncio.sleep(2.5)  # past group_expiry: only a renewed membership is still there
    await send(sender, "a day later", client_id="late")

    assert (await receiver.receive_json_from())["message"]["body"] == "a day later"
