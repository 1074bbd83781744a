import json

import pytest
from channels.db import database_sync_to_async

from messaging.models import Message
from rooms.models import Membership
from rooms.services import membership_revoke
from tests.support.factories import MessageFactory, RoomFactory
from tests.support.sockets import close_code, joined, send

pytestmark = pytest.mark.django_db(transaction=True)


# --- Who may connect -------------------------------------------------------------


async def test_anonymous_socket_is_closed_with_4401(open_socket, room):
    communicator = await open_socket(None)
    connected, _ = await communicator.connect()
    assert connected
    assert await close_code(communicator) == 4401


async def test_socket_to_an_unknown_room_is_closed_with_4404(open_socket, member):
    communicator = await open_socket(member.user, "nowhere")
    await communicator.connect()
    assert await close_code(communicator) == 4404


async def test_non_member_socket_is_closed_with_4403_and_sees_no_history(
    open_socket, room, outsider
):
    await database_sync_to_async(MessageFactory)(room=room, body="secret")
    communicator = await open_socket(outsider)
    await communicator.connect()
    assert await close_code(communicator) == 4403


async def test_handshake_from_a_foreign_origin_is_refused(open_socket, member):
    communicator = await open_socket(member.user, origin=b"http://evil.example")
    connected, _ = await communicator.connect()
    assert not connected


# --- History and catch-up --------------------------------------------------------


async def test_member_is_greeted_with_the_last_50_messages_oldest_first(open_socket, member):
    room = member.room
    ids = await database_sync_to_async(
        lambda: [MessageFactory(room=room, author=member.user).pk for _ in range(53)]
    )()
    history = await joined(await open_socket(member.user))

    assert [m["id"] for m in history["messages"]] == ids[-50:]
    assert history["has_more"] is True
    assert history["messages"][0]["author"] == {
        "username": "ada",
        "display_name": "Ada Lovelace",
        "avatar_url": None,
    }


async def test_history_of_an_empty_room_is_empty(open_socket, member):
    history = await joined(await open_socket(member.user))
    assert (history["messages"], history["has_more"]) == ([], False)
    assert history["server_time"].endswith("Z")


async def test_reconnecting_with_after_receives_every_later_message(open_socket, member):
    ids = await database_sync_to_async(
        lambda: [MessageFactory(room=member.room).pk for _ in range(5)]
    )()
    history = await joined(await open_socket(member.user, query=f"after={ids[1]}"))

    assert [m["id"] for m in history["messages"]] == ids[2:]
    assert history["has_more"] is False


async def test_catch_up_stops_at_500_and_says_there_is_more(open_socket, member):
    def make() -> list[int]:
        Message.objects.bulk_create(
            Message(room=member.room, author=member.user, body=f"m{i}") for i in range(502)
        )
        return list(Message.objects.order_by("id").values_list("id", flat=True))

    ids = await database_sync_to_async(make)()
    history = await joined(await open_socket(member.user, query=f"after={ids[0]}"))

    assert [m["id"] for m in history["messages"]] == ids[1:501]
    assert history["has_more"] is True


async def test_malformed_after_gets_an_error_and_the_latest_messages(open_socket, member):
    await database_sync_to_async(MessageFactory)(room=member.room)
    communicator = await open_socket(member.user, query="after=yesterday")
    await communicator.connect()

    error = await communicator.receive_json_from()
    history = await communicator.receive_json_from()

    assert (error["type"], error["code"]) == ("error", "invalid")
    assert history["type"] == "history"
    assert len(history["messages"]) == 1


# --- Sending and broadcast -------------------------------------------------------


async def test_a_message_reaches_every_member_after_it_is_stored(open_socket, member, other_member):
    sender = await open_socket(member.user)
    receiver = await open_socket(other_member.user)
    await joined(sender)
    await joined(receiver)

    await send(sender, "  Hello, Lobby!  ", client_id="abc-123")
    mine = await sender.receive_json_from()
    theirs = await receiver.receive_json_from()

    assert mine == theirs
    assert mine["type"] == "message.new"
    message = mine["message"]
    stored = await database_sync_to_async(Message.objects.get)()
    assert message["id"] == stored.pk
    assert message["body"] == "Hello, Lobby!"
    assert message["room"] == "lobby"
    assert message["client_id"] == "abc-123"
    assert message["author"] == {
        "username": "ada",
        "display_name": "Ada Lovelace",
        "avatar_url": None,
    }
    assert message["created_at"].endswith("Z")
    assert await receiver.receive_nothing()


async def test_messages_stay_in_their_room(open_socket, member, other_user):
    other_room = await database_sync_to_async(RoomFactory)(slug="elsewhere")
    await database_sync_to_async(Membership.objects.create)(user=other_user, room=other_room)
    here = await open_socket(member.user)
    there = await open_socket(other_user, "elsewhere")
    await joined(here)
    await joined(there)

    await send(here, "only for the lobby")
    await here.receive_json_from()

    assert await there.receive_nothing()


async def test_a_resent_client_id_is_acknowledged_to_the_sender_but_not_stored_twice(
    open_socket, member, other_member
):
    sender = await open_socket(member.user)
    receiver = await open_socket(other_member.user)
    await joined(sender)
    await joined(receiver)

    await send(sender, "just once", client_id="dup")
    first = await sender.receive_json_from()
    await receiver.receive_json_from()
    await send(sender, "just once", client_id="dup")
    again = await sender.receive_json_from()

    assert again["message"]["id"] == first["message"]["id"]
    assert await database_sync_to_async(Message.objects.count)() == 1
    assert await receiver.receive_nothing()


# --- Bad input: an error frame, and the socket stays usable ------------------------

BAD_FRAMES = [
    ("not json", "invalid"),
    ("[1, 2]", "invalid"),
    ('"a string"', "invalid"),
    ("{}", "invalid"),
    ('{"type": "message.star", "id": 1}', "invalid"),
    ('{"type": "message.delete", "id": "1"}', "invalid"),
    ('{"type": "message.delete", "id": true}', "invalid"),
    ('{"type": "message.edit", "id": 1}', "invalid"),
    ('{"type": "message.delete", "id": 99}', "not_found"),
    ('{"type": "message.send"}', "invalid"),
    ('{"type": "message.send", "body": 42}', "invalid"),
    ('{"type": "message.send", "body": null}', "invalid"),
    ('{"type": "message.send", "body": "x", "client_id": 7}', "invalid"),
    (json.dumps({"type": "message.send", "body": "x", "client_id": "c" * 65}), "invalid"),
    ('{"type": "message.send", "body": "\\ud800"}', "invalid"),
    ('{"type": "message.send", "body": "nul\\u0000byte"}', "invalid"),
    ("[" * 30_000 + "]" * 30_000, "invalid"),
    ("x" * (64 * 1024 + 1), "too_large"),
    (json.dumps({"type": "message.send", "body": "é" * 40_000}), "too_large"),
    ('{"type": "message.send", "body": 1' + "0" * 5000 + "}", "invalid"),
    ('{"type": "message.send", "body": ""}', "empty"),
    ('{"type": "message.send", "body": " \\n\\t "}', "empty"),
    (json.dumps({"type": "message.send", "body": "x" * 4001}), "too_long"),
]


@pytest.mark.parametrize(("frame", "code"), BAD_FRAMES)
async def test_bad_frames_get_an_error_frame_and_the_socket_stays_open(
    open_socket, member, frame, code
):
    communicator = await open_socket(member.user)
    await joined(communicator)

    await communicator.send_to(text_data=frame)
    error = await communicator.receive_json_from()

    assert error["type"] == "error"
    assert error["code"] == code
    assert isinstance(error["detail"], str)
    assert error["detail"]
    assert await database_sync_to_async(Message.objects.count)() == 0
    await send(communicator, "still here")
    assert (await communicator.receive_json_from())["type"] == "message.new"


async def test_binary_frames_are_invalid(open_socket, member):
    communicator = await open_socket(member.user)
    await joined(communicator)

    await communicator.send_to(bytes_data=b"\x00\x01")

    assert (await communicator.receive_json_from())["code"] == "invalid"


async def test_errors_echo_the_client_id_when_known(open_socket, member):
    communicator = await open_socket(member.user)
    await joined(communicator)

    await send(communicator, "   ", client_id="mine-1")

    error = await communicator.receive_json_from()
    assert (error["code"], error["client_id"]) == ("empty", "mine-1")


# --- Membership is checked on every message -----------------------------------------


async def test_member_removed_while_connected_cannot_post_from_the_open_socket(open_socket, member):
    communicator = await open_socket(member.user)
    await joined(communicator)
    # Removed behind the consumer's back: no event reaches the socket.
    await database_sync_to_async(Membership.objects.filter(pk=member.pk).delete)()

    await send(communicator, "am I still here?", client_id="late")

    error = await communicator.receive_json_from()
    assert (error["type"], error["code"], error["client_id"]) == ("error", "forbidden", "late")
    assert await database_sync_to_async(Message.objects.count)() == 0


async def test_leaving_closes_my_open_sockets_to_the_room_with_4403(
    open_socket, member, other_member
):
    leaver = await open_socket(member.user)
    stayer = await open_socket(other_member.user)
    await joined(leaver)
    await joined(stayer)

    await database_sync_to_async(membership_revoke)(room=member.room, user=member.user)

    assert (await leaver.receive_json_from())["type"] == "removed"
    assert await close_code(leaver) == 4403
    assert await stayer.receive_nothing()
