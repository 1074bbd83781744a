"""Reactions, replies and pins over the websocket, as two members' pages see them."""

import pytest
from channels.db import database_sync_to_async

from messaging.models import Message, Reaction
from rooms.models import Membership
from rooms.services import membership_revoke
from tests.support.factories import MessageFactory, RoomFactory
from tests.support.sockets import close_code, joined

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def posted(member, other_member) -> Message:
    return MessageFactory(room=member.room, author=other_member.user, body="Lunch at noon?")


async def two_pages(open_socket, first, second):
    pages = [await open_socket(first.user), await open_socket(second.user)]
    for page in pages:
        await joined(page)
    return pages


async def test_a_reaction_reaches_both_members_with_who_made_it(
    open_socket, member, other_member, posted
):
    ada, grace = await two_pages(open_socket, member, other_member)

    await ada.send_json_to({"type": "reaction.add", "id": posted.pk, "emoji": "👍"})
    expected = {
        "type": "reaction.added",
        "message_id": posted.pk,
        "emoji": "👍",
        "user": {"username": "ada", "display_name": "Ada Lovelace", "avatar_url": None},
    }
    assert await ada.receive_json_from() == expected
    assert await grace.receive_json_from() == expected

    await ada.send_json_to({"type": "reaction.remove", "id": posted.pk, "emoji": "👍"})
    assert (await grace.receive_json_from())["type"] == "reaction.removed"


async def test_adding_a_reaction_twice_is_announced_once_and_answers_no_error(
    open_socket, member, other_member, posted
):
    ada, grace = await two_pages(open_socket, member, other_member)

    for _ in range(2):
        await ada.send_json_to({"type": "reaction.add", "id": posted.pk, "emoji": "🎉"})
    assert (await grace.receive_json_from())["type"] == "reaction.added"
    assert (await ada.receive_json_from())["type"] == "reaction.added"

    assert await grace.receive_nothing(timeout=0.2)
    assert await ada.receive_nothing(timeout=0.2)
    assert await database_sync_to_async(Reaction.objects.count)() == 1


async def test_an_invalid_emoji_is_answered_with_an_error_frame(open_socket, member, posted):
    page = await open_socket(member.user)
    await joined(page)

    await page.send_json_to({"type": "reaction.add", "id": posted.pk, "emoji": "not one"})
    error = await page.receive_json_from()

    assert (error["type"], error["code"], error["id"]) == ("error", "invalid", posted.pk)
    assert error["detail"] == "A reaction must be one emoji."


async def test_a_member_removed_behind_an_open_socket_cannot_react(open_socket, member, posted):
    page = await open_socket(member.user)
    await joined(page)
    # Deleted without an event, so only the service's own membership check can refuse.
    await database_sync_to_async(Membership.objects.filter(pk=member.pk).delete)()

    await page.send_json_to({"type": "reaction.add", "id": posted.pk, "emoji": "👍"})
    error = await page.receive_json_from()

    assert (error["type"], error["code"]) == ("error", "forbidden")
    assert not await database_sync_to_async(Reaction.objects.exists)()


async def test_a_kicked_member_hears_no_more_reactions(open_socket, member, other_member, posted):
    ada, grace = await two_pages(open_socket, member, other_member)
    await database_sync_to_async(membership_revoke)(
        room=other_member.room, user=other_member.user, reason="kicked"
    )
    assert (await grace.receive_json_from())["type"] == "removed"
    assert await close_code(grace) == 4403

    await ada.send_json_to({"type": "reaction.add", "id": posted.pk, "emoji": "👍"})
    assert (await ada.receive_json_from())["type"] == "reaction.added"


async def test_a_non_member_cannot_open_the_socket_to_react(open_socket, room, outsider):
    page = await open_socket(outsider)
    await page.connect()
    assert await close_code(page) == 4403


async def test_a_reply_carries_its_quote_to_everyone(open_socket, member, other_member, posted):
    ada, grace = await two_pages(open_socket, member, other_member)

    await ada.send_json_to(
        {"type": "message.send", "body": "Yes!", "client_id": "r-1", "reply_to": posted.pk}
    )
    mine = await ada.receive_json_from()
    theirs = await grace.receive_json_from()

    assert mine == theirs
    assert mine["message"]["reply_to"] == {
        "id": posted.pk,
        "author": {"username": "grace", "display_name": "Grace Hopper", "avatar_url": None},
        "excerpt": "Lunch at noon?",
    }


@pytest.mark.parametrize("reply_to", ["elsewhere", "unknown", "text"])
async def test_a_reply_to_anything_but_a_message_of_this_room_is_refused(
    open_socket, member, reply_to
):
    elsewhere = await database_sync_to_async(MessageFactory)(
        room=await database_sync_to_async(RoomFactory)(slug="elsewhere")
    )
    target = {"elsewhere": elsewhere.pk, "unknown": elsewhere.pk + 100, "text": "1"}[reply_to]
    page = await open_socket(member.user)
    await joined(page)

    await page.send_json_to(
        {"type": "message.send", "body": "hi", "client_id": "r-2", "reply_to": target}
    )
    error = await page.receive_json_from()

    assert error["type"] == "error"
    assert error["code"] in {"not_found", "invalid"}
    assert error["client_id"] == "r-2"
    assert not await database_sync_to_async(member.room.messages.exists)()


async def test_a_plain_member_cannot_pin(open_socket, member, posted):
    page = await open_socket(member.user)
    await joined(page)

    await page.send_json_to({"type": "message.pin", "id": posted.pk})
    error = await page.receive_json_from()

    assert (error["type"], error["code"]) == ("error", "forbidden")


async def test_a_moderators_pin_and_unpin_reach_every_member(
    open_socket, moderator, member, posted
):
    mona, ada = await two_pages(open_socket, moderator, member)

    await mona.send_json_to({"type": "message.pin", "id": posted.pk})
    pinned = await ada.receive_json_from()
    await mona.send_json_to({"type": "message.unpin", "id": posted.pk})
    assert (await ada.receive_json_from()) == {"type": "message.unpinned", "id": posted.pk}

    assert (pinned["type"], pinned["id"]) == ("message.pinned", posted.pk)
    assert pinned["message"]["pinned"] is True
    assert pinned["pinned_by"] == {
        "username": "mona",
        "display_name": "Mona Moderator",
        "avatar_url": None,
    }


async def test_catching_up_with_since_brings_back_messages_whose_reactions_changed(
    open_socket, member, other_member, posted
):
    first = await open_socket(member.user)
    history = await joined(first)
    await first.disconnect()
    grace = await open_socket(other_member.user)
    await joined(grace)
    await grace.send_json_to({"type": "reaction.add", "id": posted.pk, "emoji": "👍"})
    assert (await grace.receive_json_from())["type"] == "reaction.added"

    query = f"after={posted.pk}&since={history['server_time']}"
    again = await joined(await open_socket(member.user, query=query))

    assert [m["id"] for m in again["edited"]] == [posted.pk]
    assert again["edited"][0]["reactions"] == [{"emoji": "👍", "count": 1, "users": ["grace"]}]
