"""Moderation takes effect live: two members connected, every effect reaches both sockets."""

import json
from datetime import timedelta
from urllib.parse import urlencode

import msgpack
import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.test import Client
from django.utils import timezone

from accounts.models import User
from audit.models import AuditLogEntry
from messaging.models import Message
from messaging.services import message_delete, message_edit
from rooms.models import Ban, Membership
from tests.support.factories import InvitationFactory, MessageFactory
from tests.support.sockets import close_code, joined, send, send_acknowledged

live = pytest.mark.django_db(transaction=True)


async def post_as(user: User, url: str, data: dict | None = None) -> int:
    """POST through the web views as ``user``; the status code."""

    def post() -> int:
        client = Client()
        client.force_login(user)
        return client.post(url, data or {}).status_code

    return await database_sync_to_async(post)()


async def get_json_as(user: User, url: str) -> dict:
    def get() -> dict:
        client = Client()
        client.force_login(user)
        return client.get(url).json()

    return await database_sync_to_async(get)()


async def both_receive(*sockets) -> dict:
    """The next frame on each socket, checked to be the same everywhere."""
    frames = [await socket.receive_json_from() for socket in sockets]
    assert all(frame == frames[0] for frame in frames)
    return frames[0]


async def message_by(author: User, body: str) -> Message:
    room = await database_sync_to_async(lambda: Membership.objects.get(user=author).room)()
    return await database_sync_to_async(MessageFactory)(room=room, author=author, body=body)


async def refreshed(message: Message) -> Message:
    return await database_sync_to_async(Message.objects.get)(pk=message.pk)


# --- Edit and delete ------------------------------------------------------------------


@live
async def test_an_edit_reaches_both_members_with_the_new_body_and_edited_at(
    open_socket, member, other_member
):
    message = await message_by(member.user, "helo")
    author, reader = await open_socket(member.user), await open_socket(other_member.user)
    await joined(author)
    await joined(reader)

    await author.send_json_to({"type": "message.edit", "id": message.pk, "body": " hello "})
    frame = await both_receive(author, reader)

    assert frame["type"] == "message.edited"
    assert (frame["message"]["id"], frame["message"]["body"]) == (message.pk, "hello")
    assert frame["message"]["edited_at"].endswith("Z")
    stored = await refreshed(message)
    assert stored.body == "hello"
    assert stored.edited_at is not None


@live
async def test_deleting_my_own_message_removes_it_from_both_pages_and_keeps_the_row(
    open_socket, member, other_member
):
    message = await message_by(member.user, "oops, wrong room")
    author, reader = await open_socket(member.user), await open_socket(other_member.user)
    await joined(author)
    await joined(reader)

    await author.send_json_to({"type": "message.delete", "id": message.pk})

    assert await both_receive(author, reader) == {"type": "message.deleted", "id": message.pk}
    stored = await refreshed(message)
    assert stored.deleted_at is not None
    assert stored.deleted_by_id == member.user.pk


@live
async def test_a_moderator_removes_a_members_message_with_a_reason_for_everyone(
    open_socket, member, other_member, moderator
):
    message = await message_by(other_member.user, "buy cheap watches")
    mod, reader, author = (
        await open_socket(moderator.user),
        await open_socket(member.user),
        await open_socket(other_member.user),
    )
    for socket in (mod, reader, author):
        await joined(socket)

    await mod.send_json_to({"type": "message.delete", "id": message.pk, "reason": "spam"})

    assert await both_receive(mod, reader, author) == {"type": "message.deleted", "id": message.pk}
    entry = await database_sync_to_async(AuditLogEntry.objects.get)()
    assert (entry.action, entry.reason, entry.target_message_id) == (
        AuditLogEntry.Action.MESSAGE_DELETE,
        "spam",
        message.pk,
    )
    assert (await refreshed(message)).deleted_by_id == moderator.user.pk


@live
async def test_a_deleted_message_is_served_by_neither_history_json_nor_socket_history(
    open_socket, member, other_member
):
    kept = await message_by(member.user, "still here")
    gone = await message_by(other_member.user, "regrettable")
    author = await open_socket(other_member.user)
    await joined(author)
    await author.send_json_to({"type": "message.delete", "id": gone.pk})
    await author.receive_json_from()

    page = await get_json_as(member.user, "/rooms/lobby/messages/")
    history = await joined(await open_socket(member.user))

    assert [m["id"] for m in page["messages"]] == [kept.pk]
    assert [m["id"] for m in history["messages"]] == [kept.pk]
    assert "regrettable" not in json.dumps([page, history])


@live
async def test_a_deleted_message_can_be_neither_edited_nor_deleted_again(open_socket, member):
    message = await message_by(member.user, "gone")
    socket = await open_socket(member.user)
    await joined(socket)
    await socket.send_json_to({"type": "message.delete", "id": message.pk})
    await socket.receive_json_from()

    await socket.send_json_to({"type": "message.edit", "id": message.pk, "body": "back"})
    edit = await socket.receive_json_from()
    await socket.send_json_to({"type": "message.delete", "id": message.pk})
    delete = await socket.receive_json_from()

    assert (edit["code"], delete["code"]) == ("not_found", "not_found")
    assert (await refreshed(message)).body == "gone"


# --- Kick and ban ---------------------------------------------------------------------


@live
async def test_a_kicked_member_is_told_why_and_every_socket_of_theirs_closes_with_4403(
    open_socket, member, other_member, owner
):
    stayer = await open_socket(member.user)
    kicked_tabs = [await open_socket(other_member.user), await open_socket(other_member.user)]
    for socket in (stayer, *kicked_tabs):
        await joined(socket)

    assert await post_as(owner.user, "/rooms/lobby/members/grace/", {"action": "kick"}) == 302

    for tab in kicked_tabs:
        removed = await tab.receive_json_from()
        assert (removed["type"], removed["reason"]) == ("removed", "kicked")
        assert removed["detail"]
        assert await close_code(tab) == 4403
    assert await stayer.receive_nothing()


@live
async def test_a_kicked_member_may_rejoin_a_public_room_and_connect_again(
    open_socket, member, other_member, owner
):
    await post_as(owner.user, "/rooms/lobby/members/grace/", {"action": "kick"})

    assert await post_as(other_member.user, "/rooms/lobby/join/") == 302
    await joined(await open_socket(other_member.user))


@live
@pytest.mark.parametrize("minutes", ["", "60"], ids=["for good", "for an hour"])
async def test_a_banned_member_is_removed_live_and_cannot_come_back(
    open_socket, member, other_member, owner, private_room, minutes
):
    stayer, banned = await open_socket(member.user), await open_socket(other_member.user)
    await joined(stayer)
    await joined(banned)

    await post_as(owner.user, "/rooms/lobby/members/grace/", {"action": "ban", "minutes": minutes})

    removed = await banned.receive_json_from()
    assert (removed["type"], removed["reason"]) == ("removed", "banned")
    assert await close_code(banned) == 4403
    assert await stayer.receive_nothing()
    assert await post_as(other_member.user, "/rooms/lobby/join/") == 403
    again = await open_socket(other_member.user)
    await again.connect()
    assert await close_code(again) == 4403
    link = await database_sync_to_async(InvitationFactory)(room=owner.room)
    assert await post_as(other_member.user, link.get_absolute_url()) != 302
    assert not await database_sync_to_async(
        Membership.objects.filter(user=other_member.user, room=owner.room).exists
    )()


@live
async def test_a_ban_that_expired_or_was_lifted_lets_the_user_back(
    open_socket, other_member, owner
):
    await post_as(owner.user, "/rooms/lobby/members/grace/", {"action": "ban", "minutes": "60"})
    await database_sync_to_async(Ban.objects.update)(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert await post_as(other_member.user, "/rooms/lobby/join/") == 302
    await joined(await open_socket(other_member.user))

    await post_as(owner.user, "/rooms/lobby/members/grace/", {"action": "ban"})
    ban = await database_sync_to_async(Ban.objects.get)()
    await post_as(owner.user, f"/rooms/lobby/bans/{ban.pk}/lift/")
    link = await database_sync_to_async(InvitationFactory)(room=owner.room)

    assert await post_as(other_member.user, link.get_absolute_url()) == 302
    await joined(await open_socket(other_member.user))


# --- Mute -----------------------------------------------------------------------------


@live
async def test_a_mute_is_announced_and_the_muted_member_is_told_until_when(
    open_socket, member, other_member, moderator
):
    reader, muted = await open_socket(member.user), await open_socket(other_member.user)
    await joined(reader)
    await joined(muted)

    await post_as(
        moderator.user, "/rooms/lobby/members/grace/", {"action": "mute", "minutes": "10"}
    )

    theirs, mine = await reader.receive_json_from(), await muted.receive_json_from()
    assert theirs["type"] == mine["type"] == "member.updated"
    assert theirs["member"] == mine["member"]
    assert (mine["member"]["username"], mine["is_me"], theirs["is_me"]) == ("grace", True, False)
    until = mine["member"]["muted_until"]
    assert until.endswith("Z")

    await send(muted, "let me speak", client_id="m-1")
    error = await muted.receive_json_from()

    assert (error["type"], error["code"], error["client_id"]) == ("error", "muted", "m-1")
    assert error["until"] == until
    assert await reader.receive_nothing()
    assert not await database_sync_to_async(Message.objects.exists)()


@live
async def test_an_unmuted_member_may_post_again(open_socket, other_member, moderator):
    socket = await open_socket(other_member.user)
    await joined(socket)
    await post_as(
        moderator.user, "/rooms/lobby/members/grace/", {"action": "mute", "minutes": "10"}
    )
    await socket.receive_json_from()

    await post_as(moderator.user, "/rooms/lobby/members/grace/", {"action": "unmute"})
    update = await socket.receive_json_from()
    await send(socket, "thanks")

    assert (update["type"], update["member"]["muted_until"]) == ("member.updated", None)
    assert (await socket.receive_json_from())["type"] == "message.new"


@live
async def test_a_muted_member_cannot_edit_either(open_socket, other_member, moderator):
    message = await message_by(other_member.user, "before")
    socket = await open_socket(other_member.user)
    await joined(socket)
    await post_as(
        moderator.user, "/rooms/lobby/members/grace/", {"action": "mute", "minutes": "10"}
    )
    await socket.receive_json_from()

    await socket.send_json_to({"type": "message.edit", "id": message.pk, "body": "after"})

    assert (await socket.receive_json_from())["code"] == "muted"
    assert (await refreshed(message)).body == "before"


# --- Lock, slow mode, archive ----------------------------------------------------------


@live
async def test_locking_is_announced_and_only_moderators_post_until_unlocked(
    open_socket, member, moderator, owner
):
    plain, mod = await open_socket(member.user), await open_socket(moderator.user)
    await joined(plain)
    await joined(mod)

    await post_as(owner.user, "/rooms/lobby/settings/lock/")
    update = await both_receive(plain, mod)
    assert (update["type"], update["room"]["is_locked"]) == ("room.updated", True)

    await send(plain, "hello?", client_id="p-1")
    refused = await plain.receive_json_from()
    assert (refused["type"], refused["code"], refused["client_id"]) == ("error", "locked", "p-1")
    await send(mod, "announcement", client_id="m-1")
    assert (await mod.receive_json_from())["type"] == "message.new"
    assert (await plain.receive_json_from())["message"]["body"] == "announcement"

    await post_as(owner.user, "/rooms/lobby/settings/unlock/")
    assert (await both_receive(plain, mod))["room"]["is_locked"] is False
    await send(plain, "hello again", client_id="p-2")
    assert (await plain.receive_json_from())["type"] == "message.new"


@live
async def test_slow_mode_refuses_a_second_message_within_the_window_with_retry_after(
    open_socket, member, other_member, moderator
):
    slow, other = await open_socket(member.user), await open_socket(other_member.user)
    await joined(slow)
    await joined(other)

    await post_as(moderator.user, "/rooms/lobby/settings/slow-mode/", {"seconds": "60"})
    update = await both_receive(slow, other)
    assert (update["type"], update["room"]["slow_mode_seconds"]) == ("room.updated", 60)

    await send(slow, "first", client_id="s-1")
    assert (await slow.receive_json_from())["type"] == "message.new"
    await other.receive_json_from()
    await send(slow, "second", client_id="s-2")
    refused = await slow.receive_json_from()

    assert (refused["type"], refused["code"], refused["client_id"]) == ("error", "slow_mode", "s-2")
    assert 55 < refused["retry_after"] <= 60
    assert await other.receive_nothing()
    await send(other, "my first", client_id="o-1")
    assert (await other.receive_json_from())["type"] == "message.new"


@live
async def test_slow_mode_does_not_hold_back_moderators(open_socket, moderator):
    await post_as(moderator.user, "/rooms/lobby/settings/slow-mode/", {"seconds": "60"})
    socket = await open_socket(moderator.user)
    await joined(socket)

    await send_acknowledged(socket, 3, prefix="notice")


async def slow_mode_on(room, seconds: int = 60) -> None:
    room.slow_mode_seconds = seconds
    await database_sync_to_async(room.save)(update_fields=["slow_mode_seconds"])


async def edit(socket, message_id: int, body: str) -> None:
    await socket.send_json_to({"type": "message.edit", "id": message_id, "body": body})


@live
async def test_slow_mode_refuses_an_edit_right_after_a_post_with_retry_after(
    open_socket, member, other_member
):
    await slow_mode_on(member.room)
    slow, other = await open_socket(member.user), await open_socket(other_member.user)
    await joined(slow)
    await joined(other)
    await send(slow, "first", client_id="s-1")
    posted = (await slow.receive_json_from())["message"]
    await other.receive_json_from()

    await edit(slow, posted["id"], "first, rewritten into something else")
    refused = await slow.receive_json_from()

    assert (refused["type"], refused["code"], refused["id"]) == ("error", "slow_mode", posted["id"])
    assert 55 < refused["retry_after"] <= 60
    assert await other.receive_nothing()
    assert (await database_sync_to_async(Message.objects.get)(pk=posted["id"])).body == "first"


@live
async def test_an_edit_in_slow_mode_starts_the_wait_as_a_post_does(open_socket, member):
    message = await message_by(member.user, "written before slow mode")
    await slow_mode_on(member.room)
    socket = await open_socket(member.user)
    await joined(socket)

    await edit(socket, message.pk, "rewritten")
    assert (await socket.receive_json_from())["type"] == "message.edited"
    await send(socket, "and now a post", client_id="p-1")
    refused = await socket.receive_json_from()

    assert (refused["code"], refused["client_id"]) == ("slow_mode", "p-1")
    assert refused["retry_after"] > 55


@live
async def test_slow_mode_does_not_hold_back_a_moderators_edits(open_socket, moderator):
    message = await message_by(moderator.user, "notice")
    await slow_mode_on(moderator.room)
    socket = await open_socket(moderator.user)
    await joined(socket)

    for n in range(3):
        await edit(socket, message.pk, f"notice, take {n}")
        assert (await socket.receive_json_from())["type"] == "message.edited"


@live
async def test_archiving_is_announced_and_the_room_becomes_read_only_but_readable(
    open_socket, member, other_member, owner
):
    mine = await message_by(member.user, "for the record")
    writer, reader = await open_socket(member.user), await open_socket(other_member.user)
    await joined(writer)
    await joined(reader)

    await post_as(owner.user, "/rooms/lobby/settings/archive/")
    update = await both_receive(writer, reader)
    assert (update["type"], update["room"]["archived"]) == ("room.updated", True)

    await send(writer, "too late", client_id="a-1")
    await writer.send_json_to({"type": "message.edit", "id": mine.pk, "body": "changed"})
    await writer.send_json_to({"type": "message.delete", "id": mine.pk})
    codes = [(await writer.receive_json_from())["code"] for _ in range(3)]
    assert codes == ["archived", "archived", "archived"]
    assert await reader.receive_nothing()

    history = await joined(await open_socket(other_member.user))
    page = await get_json_as(other_member.user, "/rooms/lobby/messages/")
    assert [m["body"] for m in history["messages"]] == ["for the record"]
    assert [m["body"] for m in page["messages"]] == ["for the record"]


# --- Catching up on edits and deletes --------------------------------------------------


@live
async def test_a_reconnecting_client_catches_up_on_edits_and_deletes_of_older_messages(
    open_socket, member, other_member
):
    edited_long_ago = await message_by(other_member.user, "old edit")
    await database_sync_to_async(Message.objects.filter(pk=edited_long_ago.pk).update)(
        edited_at=timezone.now() - timedelta(hours=1)
    )
    to_edit = await message_by(other_member.user, "teh")
    to_delete = await message_by(other_member.user, "never mind")
    reader = await open_socket(member.user)
    first = await joined(reader)
    await reader.disconnect()

    # While the reader is away, the author edits, deletes and writes something new.
    author = await open_socket(other_member.user)
    await joined(author)
    await author.send_json_to({"type": "message.edit", "id": to_edit.pk, "body": "the"})
    await author.receive_json_from()
    await author.send_json_to({"type": "message.delete", "id": to_delete.pk})
    await author.receive_json_from()
    await send(author, "new since", client_id="n-1")
    new = (await author.receive_json_from())["message"]

    query = urlencode({"after": first["messages"][-1]["id"], "since": first["server_time"]})
    again = await joined(await open_socket(member.user, query=query))

    assert [m["id"] for m in again["messages"]] == [new["id"]]
    assert [(m["id"], m["body"]) for m in again["edited"]] == [(to_edit.pk, "the")]
    assert again["edited"][0]["edited_at"].endswith("Z")
    assert again["deleted"] == [to_delete.pk]


@live
async def test_catching_up_with_nothing_changed_gives_empty_lists(open_socket, member):
    await message_by(member.user, "quiet")
    first = await joined(await open_socket(member.user))

    query = urlencode({"after": first["messages"][-1]["id"], "since": first["server_time"]})
    again = await joined(await open_socket(member.user, query=query))

    assert (again["messages"], again["edited"], again["deleted"]) == ([], [], [])


# --- Every live event survives the production channel layer ---------------------------


@pytest.mark.django_db
def test_every_moderation_event_round_trips_through_msgpack_and_json(
    monkeypatch, django_capture_on_commit_callbacks, member, other_member, moderator, owner
):
    """channels_redis encodes events with msgpack: a datetime would pass in memory, fail there."""
    events: list[dict] = []

    async def record(group: str, event: dict) -> None:
        events.append(event)

    monkeypatch.setattr(get_channel_layer(), "group_send", record)
    client = Client()
    client.force_login(owner.user)
    message = MessageFactory(room=member.room, author=member.user)
    with django_capture_on_commit_callbacks(execute=True):
        message_edit(room=member.room, user=member.user, message_id=message.pk, body="edited")
        for action in ["mute", "unmute", "promote", "demote", "kick"]:
            client.post("/rooms/lobby/members/ada/", {"action": action, "minutes": "5"})
        client.post("/rooms/lobby/members/grace/", {"action": "ban", "minutes": "5"})
        client.post("/rooms/lobby/members/mona/", {"action": "transfer"})
        for switch in ["lock", "slow-mode", "archive", "unarchive"]:
            client.post(f"/rooms/lobby/settings/{switch}/", {"seconds": "10"})
        client.post("/rooms/lobby/settings/", {"name": "Parlour", "description": ""})
        message_delete(room=member.room, user=moderator.user, message_id=message.pk)

    assert {event["type"] for event in events} >= {
        "message.edited",
        "member.updated",
        "membership.revoked",
        "room.updated",
        "message.deleted",
    }
    for event in events:
        assert msgpack.unpackb(msgpack.packb(event)) == event
        assert json.loads(json.dumps(event)) == event
