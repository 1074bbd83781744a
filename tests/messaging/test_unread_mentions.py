"""Read markers, the inbox socket's unread counts, and @mentions.

Each membership remembers the last message read (``{"type": "read", "id": N}``
moves it forward); the inbox socket (``/ws/inbox/``) greets a page with the
counts of all my rooms and then announces every new message by someone else.
A mention names a room member with ``@username``; only members are
highlighted and stored, and ``/mentions/`` lists the messages naming me.
"""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from messaging.models import Mention, Message
from messaging.services import message_create, message_delete, message_edit
from rooms.models import Membership
from rooms.selectors import unread_counts
from rooms.services import membership_revoke, room_join
from tests.support.factories import MembershipFactory, MessageFactory, RoomFactory
from tests.support.sockets import ORIGIN, close_code, joined, send, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def open_inbox():
    """Open the sidebar's socket, ``/ws/inbox/``, through the whole ASGI stack."""
    communicators: list[WebsocketCommunicator] = []

    async def open_(user) -> WebsocketCommunicator:
        headers = [(b"origin", ORIGIN), (b"host", b"127.0.0.1")]
        if user is not None:
            headers.append((b"cookie", await database_sync_to_async(session_cookie)(user)))
        communicator = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
        communicators.append(communicator)
        return communicator

    yield open_
    for communicator in communicators:
        await communicator.disconnect()


async def inbox_of(open_inbox, user) -> tuple[WebsocketCommunicator, dict]:
    """An open inbox socket and the snapshot it was greeted with."""
    communicator = await open_inbox(user)
    connected, _ = await communicator.connect()
    assert connected
    snapshot = await communicator.receive_json_from()
    assert snapshot["type"] == "unread.snapshot"
    return communicator, snapshot


async def post(room, author, body: str) -> Message:
    """Store a message through the service every entry point uses (broadcast on commit)."""
    message, _ = await database_sync_to_async(message_create)(room=room, author=author, body=body)
    return message


def counts(snapshot: dict) -> dict[str, tuple[int, int]]:
    return {room["slug"]: (room["unread"], room["mentions"]) for room in snapshot["rooms"]}


async def last_read_id(membership: Membership) -> int:
    """The marker as stored now (the fixture's object keeps its relations cached)."""
    return await database_sync_to_async(
        lambda: Membership.objects.get(pk=membership.pk).last_read_id
    )()


# --- Read markers ----------------------------------------------------------------


async def test_reading_moves_my_marker_and_tells_every_page_of_mine(
    open_socket, open_inbox, member, other_member
):
    """The tab that read, my other tab and my sidebar all learn the new marker."""
    first = await post(member.room, other_member.user, "one")
    second = await post(member.room, other_member.user, "two")
    await post(member.room, other_member.user, "three")
    tab, other_tab = await open_socket(member.user), await open_socket(member.user)
    await joined(tab)
    await joined(other_tab)
    inbox, _ = await inbox_of(open_inbox, member.user)
    grace = await open_socket(other_member.user)
    await joined(grace)

    await tab.send_json_to({"type": "read", "id": second.pk})

    assert await tab.receive_json_from() == {"type": "read", "last_read_id": second.pk}
    assert await other_tab.receive_json_from() == {"type": "read", "last_read_id": second.pk}
    assert await inbox.receive_json_from() == {
        "type": "read",
        "room": "lobby",
        "last_read_id": second.pk,
    }
    assert await grace.receive_nothing()
    assert await last_read_id(member) == second.pk
    assert first.pk < second.pk


async def test_the_read_marker_never_moves_back(open_socket, member, other_member):
    older = await post(member.room, other_member.user, "older")
    newer = await post(member.room, other_member.user, "newer")
    tab = await open_socket(member.user)
    await joined(tab)
    await tab.send_json_to({"type": "read", "id": newer.pk})
    await tab.receive_json_from()

    await tab.send_json_to({"type": "read", "id": older.pk})

    assert await tab.receive_json_from() == {"type": "read", "last_read_id": newer.pk}
    assert await last_read_id(member) == newer.pk


async def test_the_read_marker_is_capped_at_the_newest_message_of_the_room(
    open_socket, member, other_member
):
    """A client cannot mark the future, nor another room's later messages, as read."""
    newest = await post(member.room, other_member.user, "newest here")
    elsewhere = await database_sync_to_async(MessageFactory)(body="a later message elsewhere")
    tab = await open_socket(member.user)
    await joined(tab)

    await tab.send_json_to({"type": "read", "id": elsewhere.pk + 1000})

    assert await tab.receive_json_from() == {"type": "read", "last_read_id": newest.pk}
    assert await last_read_id(member) == newest.pk
    # The next message in the room is still unread.
    later = await post(member.room, other_member.user, "later")
    assert (await tab.receive_json_from())["message"]["id"] == later.pk
    assert counts({"rooms": await database_sync_to_async(unread_counts)(user=member.user)}) == {
        "lobby": (1, 0)
    }


async def test_reading_an_empty_room_leaves_the_marker_at_zero(open_socket, member):
    tab = await open_socket(member.user)
    await joined(tab)

    await tab.send_json_to({"type": "read", "id": 12345})

    assert await tab.receive_json_from() == {"type": "read", "last_read_id": 0}
    assert await last_read_id(member) == 0


@pytest.mark.parametrize("bad_id", ["12", 0, -1, True, None, 2**63])
async def test_a_read_frame_without_a_valid_message_id_is_invalid(open_socket, member, bad_id):
    tab = await open_socket(member.user)
    await joined(tab)

    await tab.send_json_to({"type": "read", "id": bad_id})

    error = await tab.receive_json_from()
    assert (error["type"], error["code"]) == ("error", "invalid")
    assert await last_read_id(member) == 0


# --- The inbox socket --------------------------------------------------------------


async def test_an_anonymous_inbox_socket_is_closed_with_4401(open_inbox, db):
    inbox = await open_inbox(None)
    connected, _ = await inbox.connect()

    assert connected
    assert await close_code(inbox) == 4401


async def test_the_inbox_greets_me_with_the_counts_of_my_rooms_only(
    open_inbox, member, other_member, outsider
):
    """Unread: newer than my marker, by others, not deleted. Mentions counted apart."""
    lobby = member.room
    kitchen = await database_sync_to_async(RoomFactory)(name="Kitchen", slug="kitchen")
    await database_sync_to_async(MembershipFactory)(user=member.user, room=kitchen)
    garden = await database_sync_to_async(RoomFactory)(name="Garden", slug="garden")
    await database_sync_to_async(MembershipFactory)(user=outsider, room=garden)
    read = await post(lobby, other_member.user, "already read")
    await database_sync_to_async(Membership.objects.filter(pk=member.pk).update)(
        last_read_id=read.pk
    )
    await post(lobby, other_member.user, "unread one")
    await post(lobby, other_member.user, "@ada unread and naming you")
    await post(lobby, member.user, "my own words")
    removed = await post(lobby, other_member.user, "@ada soon deleted")
    await database_sync_to_async(message_delete)(
        room=lobby, user=other_member.user, message_id=removed.pk
    )
    await post(garden, outsider, "@ada in a room you are not in")

    _, snapshot = await inbox_of(open_inbox, member.user)

    assert counts(snapshot) == {"kitchen": (0, 0), "lobby": (2, 1)}
    assert all(
        set(room) == {"slug", "name", "kind", "unread", "mentions"} for room in snapshot["rooms"]
    )


async def test_a_message_by_someone_else_is_announced_to_my_inbox_and_mine_is_not(
    open_socket, open_inbox, member, other_member
):
    ada_inbox, _ = await inbox_of(open_inbox, member.user)
    grace_inbox, _ = await inbox_of(open_inbox, other_member.user)
    grace = await open_socket(other_member.user)
    await joined(grace)

    await send(grace, "Hello, Ada")
    sent = (await grace.receive_json_from())["message"]

    assert await ada_inbox.receive_json_from() == {
        "type": "unread",
        "room": "lobby",
        "id": sent["id"],
        "mention": False,
        "author": "Grace Hopper",
        "excerpt": "Hello, Ada",
    }
    assert await grace_inbox.receive_nothing()


async def test_the_inbox_excerpt_is_short(open_inbox, member, other_member):
    inbox, _ = await inbox_of(open_inbox, member.user)

    await post(member.room, other_member.user, "word " * 200)

    assert len((await inbox.receive_json_from())["excerpt"]) == 140


async def test_a_mention_is_flagged_only_for_the_member_it_names(
    open_inbox, member, other_member, owner
):
    ada_inbox, _ = await inbox_of(open_inbox, member.user)
    olivia_inbox, _ = await inbox_of(open_inbox, owner.user)

    message = await post(member.room, other_member.user, "@ada can you look at this?")

    for_ada = await ada_inbox.receive_json_from()
    for_olivia = await olivia_inbox.receive_json_from()
    assert (for_ada["id"], for_ada["mention"]) == (message.pk, True)
    assert (for_olivia["id"], for_olivia["mention"]) == (message.pk, False)


async def test_the_inbox_hears_nothing_from_rooms_i_am_not_in(open_inbox, member, outsider):
    garden = await database_sync_to_async(RoomFactory)(slug="garden")
    await database_sync_to_async(MembershipFactory)(user=outsider, room=garden)
    inbox, _ = await inbox_of(open_inbox, member.user)

    await post(garden, outsider, "@ada you cannot hear this")

    assert await inbox.receive_nothing(timeout=0.2)


async def test_the_inbox_follows_a_room_i_join_while_it_is_open(open_inbox, member, other_user):
    """Joining sends a fresh snapshot with the new room, and its messages then count."""
    kitchen = await database_sync_to_async(RoomFactory)(name="Kitchen", slug="kitchen")
    await database_sync_to_async(MembershipFactory)(user=other_user, room=kitchen)
    inbox, snapshot = await inbox_of(open_inbox, member.user)
    assert counts(snapshot) == {"lobby": (0, 0)}

    await database_sync_to_async(room_join)(room=kitchen, user=member.user)
    fresh = await inbox.receive_json_from()
    message = await post(kitchen, other_user, "welcome @ada")

    assert fresh["type"] == "unread.snapshot"
    assert counts(fresh) == {"kitchen": (0, 0), "lobby": (0, 0)}
    unread = await inbox.receive_json_from()
    assert (unread["type"], unread["room"], unread["id"], unread["mention"]) == (
        "unread",
        "kitchen",
        message.pk,
        True,
    )


async def test_the_inbox_stops_following_a_room_i_leave(open_inbox, member, other_member):
    inbox, _ = await inbox_of(open_inbox, member.user)

    await database_sync_to_async(membership_revoke)(room=member.room, user=member.user)
    fresh = await inbox.receive_json_from()
    await post(member.room, other_member.user, "after you left, @ada")

    assert (fresh["type"], fresh["rooms"]) == ("unread.snapshot", [])
    assert await inbox.receive_nothing(timeout=0.2)


async def test_after_reading_the_inbox_counts_nothing_unread(
    open_socket, open_inbox, member, other_member
):
    await post(member.room, other_member.user, "@ada one")
    newest = await post(member.room, other_member.user, "two")
    _, before = await inbox_of(open_inbox, member.user)
    tab = await open_socket(member.user)
    await joined(tab)

    await tab.send_json_to({"type": "read", "id": newest.pk})
    await tab.receive_json_from()
    _, after = await inbox_of(open_inbox, member.user)

    assert (counts(before), counts(after)) == ({"lobby": (2, 1)}, {"lobby": (0, 0)})


async def test_the_inbox_only_sends_and_answers_frames_with_an_error(open_inbox, member):
    inbox, _ = await inbox_of(open_inbox, member.user)

    await inbox.send_json_to({"type": "read", "id": 1})

    error = await inbox.receive_json_from()
    assert (error["type"], error["code"]) == ("error", "invalid")


async def test_mentioning_myself_counts_as_neither_unread_nor_a_mention(member):
    """My own message is never unread, so my own name in it is no unread mention either."""
    await post(member.room, member.user, "note to self, @ada: water the plants")

    counted = await database_sync_to_async(unread_counts)(user=member.user)

    assert counts({"rooms": counted}) == {"lobby": (0, 0)}


# --- Mentions ----------------------------------------------------------------------


async def test_only_room_members_are_highlighted_and_stored_as_mentioned(
    open_socket, member, other_member, outsider
):
    """@grace (member) is a mention; @mallory (not in the room) and @nobody are plain text."""
    ada = await open_socket(member.user)
    grace = await open_socket(other_member.user)
    await joined(ada)
    await joined(grace)

    await send(ada, "Thanks @grace. Ask @mallory and @nobody too.")
    message = (await grace.receive_json_from())["message"]

    assert message["mentions"] == ["grace"]
    assert '<span class="mention">@grace</span>' in message["html"]
    assert message["html"].count('class="mention"') == 1
    assert "@mallory" in message["html"]
    stored = await database_sync_to_async(
        lambda: list(Mention.objects.values_list("message_id", "user__username"))
    )()
    assert stored == [(message["id"], "grace")]


async def test_who_a_message_mentions_travels_in_every_payload(
    open_socket, member, other_member, client_for
):
    """Live frames, the socket's history and the history endpoint all carry ``mentions``."""
    ada = await open_socket(member.user)
    await joined(ada)
    await send(ada, "@grace and @ada both")
    live = (await ada.receive_json_from())["message"]

    history = await joined(await open_socket(other_member.user))
    endpoint = await database_sync_to_async(
        lambda: client_for(other_member.user).get("/rooms/lobby/messages/").json()
    )()

    # Naming yourself is not a mention: only Grace is listed.
    assert live["mentions"] == ["grace"]
    assert history["messages"] == [live]
    assert endpoint["messages"] == [live]


async def test_editing_a_message_updates_who_it_mentions(open_socket, member, other_member, owner):
    message = await post(member.room, member.user, "@grace please review")
    grace = await open_socket(other_member.user)
    await joined(grace)

    await database_sync_to_async(message_edit)(
        room=member.room, user=member.user, message_id=message.pk, body="@olivia please review"
    )
    edited = await grace.receive_json_from()

    assert edited["type"] == "message.edited"
    assert edited["message"]["mentions"] == ["olivia"]
    assert '<span class="mention">@olivia</span>' in edited["message"]["html"]
    assert edited["message"]["html"].count('class="mention"') == 1
    stored = await database_sync_to_async(
        lambda: list(Mention.objects.values_list("user__username", flat=True))
    )()
    assert stored == ["olivia"]


@pytest.mark.parametrize("body", ["write to ada@example.com", "@@ada", "an @ada_lovelace fan"])
async def test_text_that_only_looks_like_a_mention_mentions_nobody(member, other_member, body):
    """E-mail addresses, a doubled @ and a longer name are not mentions of @ada."""
    message = await post(member.room, other_member.user, body)

    assert await database_sync_to_async(message.mentions.count)() == 0
    assert 'class="mention"' not in message.html


@pytest.mark.parametrize(
    "body",
    [
        "`@ada` in code",
        "```\n@ada in a code block\n```",
        "[@ada](https://example.com) as a link text",
        "https://example.com/@ada as an address",
    ],
)
async def test_a_name_inside_code_or_a_link_is_neither_highlighted_nor_a_mention(
    member, other_member, body
):
    """What the reader sees decides: a name shown unhighlighted must not notify or count."""
    message = await post(member.room, other_member.user, body)

    assert 'class="mention"' not in message.html
    assert await database_sync_to_async(message.mentions.count)() == 0


async def test_the_mentions_page_lists_the_messages_that_mention_me_newest_first(
    member, other_member, owner, client_for
):
    first = await post(member.room, other_member.user, "@ada first")
    await post(member.room, other_member.user, "@olivia not you")
    second = await post(member.room, owner.user, "@ada second")

    response = await database_sync_to_async(lambda: client_for(member.user).get("/mentions/"))()

    html = response.content.decode()
    assert response.status_code == 200
    assert html.index(f"/rooms/lobby/?at={second.pk}") < html.index(f"/rooms/lobby/?at={first.pk}")
    assert "not you" not in html
    assert '<span class="mention">@ada</span>' in html


async def test_the_mentions_page_leaves_out_deleted_messages_and_rooms_i_left(
    member, other_member, client_for
):
    kitchen = await database_sync_to_async(RoomFactory)(slug="kitchen")
    await database_sync_to_async(MembershipFactory)(user=member.user, room=kitchen)
    await database_sync_to_async(MembershipFactory)(user=other_member.user, room=kitchen)
    kept = await post(member.room, other_member.user, "@ada kept")
    deleted = await post(member.room, other_member.user, "@ada deleted later")
    await post(kitchen, other_member.user, "@ada in the kitchen")
    await database_sync_to_async(message_delete)(
        room=member.room, user=other_member.user, message_id=deleted.pk
    )
    await database_sync_to_async(membership_revoke)(room=kitchen, user=member.user)

    response = await database_sync_to_async(lambda: client_for(member.user).get("/mentions/"))()

    html = response.content.decode()
    assert f"?at={kept.pk}" in html
    assert "deleted later" not in html
    assert "in the kitchen" not in html


async def test_the_mentions_page_sends_the_anonymous_to_log_in(client, db):
    response = await database_sync_to_async(client.get)("/mentions/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_mentions_are_counted_until_read(member, other_member):
    """The sidebar's mention count is of unread mentions: reading clears it."""
    message, _ = message_create(room=member.room, author=other_member.user, body="@ada hi")
    assert counts({"rooms": unread_counts(user=member.user)}) == {"lobby": (1, 1)}

    Membership.objects.filter(pk=member.pk).update(last_read_id=message.pk)

    assert counts({"rooms": unread_counts(user=member.user)}) == {"lobby": (0, 0)}
