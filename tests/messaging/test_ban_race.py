"""A socket opening at the moment its user is banned must not stay in the room."""

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from messaging.services import message_create
from rooms.models import Membership
from rooms.permissions import actor_get
from rooms.services import member_ban
from tests.support.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 30
SETTLE = 3.0


def ban(*, owner: Membership, target: Membership) -> None:
    member_ban(actor=actor_get(user=owner.user, room=owner.room), target=target)


def post(*, author: Membership, body: str) -> None:
    message_create(room=author.room, author=author.user, body=body, client_id=body)


async def outputs_until_closed(communicator) -> tuple[list[dict], int | None]:
    """What the socket received until it was closed (or went quiet for SETTLE seconds)."""
    frames: list[dict] = []
    while True:
        try:
            output = await communicator.receive_output(timeout=SETTLE)
        except TimeoutError:
            return frames, None
        if output["type"] == "websocket.close":
            return frames, output["code"]
        if output["type"] == "websocket.send":
            frames.append(json.loads(output["text"]))


async def test_a_socket_connecting_while_its_user_is_banned_never_hears_what_follows_the_ban(
    settings, open_socket, owner
):
    settings.PARLEY_MESSAGE_BURST = settings.PARLEY_USER_MESSAGE_BURST = 1000
    for attempt in range(ATTEMPTS):
        target = await database_sync_to_async(MembershipFactory)(
            room=owner.room, user=await database_sync_to_async(UserFactory)()
        )
        communicator = await open_socket(target.user)
        connecting = asyncio.ensure_future(communicator.connect())
        # The ban lands at a different step of the socket's connect each time
        # (each step is a trip to the database thread, a millisecond or so).
        await asyncio.sleep(attempt * 0.002)
        await database_sync_to_async(ban)(owner=owner, target=target)
        after_ban = f"after the ban {attempt}"
        await database_sync_to_async(post)(author=owner, body=after_ban)
        await connecting

        frames, code = await outputs_until_closed(communicator)

        heard = [frame["message"]["body"] for frame in frames if frame["type"] == "message.new"] + [
            m["body"] for frame in frames if frame["type"] == "history" for m in frame["messages"]
        ]
        assert after_ban not in heard, f"attempt {attempt}: {frames}"
        assert code == 4403, f"attempt {attempt}: the socket stayed open"


async def test_a_ban_committed_right_after_the_sockets_membership_check_still_shuts_it_out(
    monkeypatch, open_socket, owner
):
    """The narrowest window: the socket found the membership, the ban commits before
    the socket joins the room's groups, so the ban's live event cannot reach it."""
    from messaging.consumers import room as room_consumer

    target = await database_sync_to_async(MembershipFactory)(
        room=owner.room, user=await database_sync_to_async(UserFactory)()
    )
    check_membership = room_consumer.room_get_for_member_async

    async def check_then_ban(**kwargs):
        found = await check_membership(**kwargs)
        await database_sync_to_async(ban)(owner=owner, target=target)
        return found

    monkeypatch.setattr(room_consumer, "room_get_for_member_async", check_then_ban)
    communicator = await open_socket(target.user)
    await communicator.connect()
    await database_sync_to_async(post)(author=owner, body="after the ban")

    frames, code = await outputs_until_closed(communicator)

    assert "after the ban" not in [
        f["message"]["body"] for f in frames if f["type"] == "message.new"
    ]
    assert code == 4403
