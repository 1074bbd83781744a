"""Every frame counts: the socket's budget, strikes for refusals, the user's buckets."""

import asyncio
import json
from collections.abc import Callable

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from messaging.models import Message
from rooms.models import Membership
from tests.support.factories import MembershipFactory, MessageFactory, RoomFactory
from tests.support.sockets import ORIGIN, joined, send, send_acknowledged, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

CLOSE_WITHIN = 5.0


@pytest.fixture
def message_limits_out_of_the_way(settings):
    settings.PARLEY_MESSAGE_BURST = settings.PARLEY_USER_MESSAGE_BURST = 10_000
    settings.PARLEY_USER_FRAME_BURST = 10_000


@pytest.fixture
def small_socket_budget(settings, message_limits_out_of_the_way):
    """Three frames per socket, no refill worth speaking of, closed past five strikes."""
    settings.PARLEY_SOCKET_FRAME_BURST = 3
    settings.PARLEY_SOCKET_FRAME_RATE = 0.001
    settings.PARLEY_RATE_LIMIT_STRIKES = 5


async def answers_until_closed(communicator) -> tuple[list[dict], int]:
    """Every frame the server sends until it closes the socket, and the close code."""
    frames = []
    async with asyncio.timeout(CLOSE_WITHIN):
        while True:
            output = await communicator.receive_output(timeout=CLOSE_WITHIN)
            if output["type"] == "websocket.close":
                return frames, output["code"]
            frames.append(json.loads(output["text"]))


async def own_messages(member: Membership, count: int) -> list[int]:
    return await database_sync_to_async(
        lambda: [
            MessageFactory(room=member.room, author=member.user, body=f"mine {n}").pk
            for n in range(count)
        ]
    )()


def text(frame: dict) -> dict:
    return {"type": "websocket.receive", "text": json.dumps(frame)}


# Thirty frames of one kind, as fast as a client can send them; ``ids`` are the
# sender's own messages.
FLOODS: dict[str, Callable[[list[int]], list[dict]]] = {
    "message.send": lambda ids: [
        text({"type": "message.send", "body": f"spam {n}", "client_id": f"s{n}"}) for n in range(30)
    ],
    "message.edit": lambda ids: [
        text({"type": "message.edit", "id": ids[0], "body": f"edit {n}"}) for n in range(30)
    ],
    "message.delete": lambda ids: [text({"type": "message.delete", "id": i}) for i in ids],
    "typing": lambda ids: [text({"type": "typing", "active": n % 2 == 0}) for n in range(30)],
    "read": lambda ids: [text({"type": "read", "id": ids[n % len(ids)]}) for n in range(30)],
    "pong": lambda ids: [text({"type": "pong"}) for _ in range(30)],
    "unknown type": lambda ids: [text({"type": "shout"}) for _ in range(30)],
    "invalid JSON": lambda ids: [{"type": "websocket.receive", "text": "{nope"}] * 30,
    "too large": lambda ids: [{"type": "websocket.receive", "text": "x" * 65_600}] * 30,
    "binary": lambda ids: [{"type": "websocket.receive", "bytes": b"\x00" * 100}] * 30,
}


@pytest.mark.parametrize("kind", FLOODS)
async def test_a_flood_of_any_frame_type_is_cut_off_by_the_sockets_budget_and_closed_with_4420(
    small_socket_budget, open_socket, member, kind
):
    ids = await own_messages(member, 30)
    communicator = await open_socket(member.user)
    await joined(communicator)

    for frame in FLOODS[kind](ids):
        await communicator.send_input(frame)
    answers, code = await answers_until_closed(communicator)

    assert code == 4420
    refusals = [a for a in answers if a.get("code") == "rate_limited"]
    # One refusal is answered, not every refused frame; at most the budget was acted on.
    assert len(refusals) <= 1
    assert len(answers) - len(refusals) <= 3


async def test_frames_past_the_budget_are_refused_with_retry_after_before_the_socket_is_closed(
    small_socket_budget, open_socket, member
):
    communicator = await open_socket(member.user)
    await joined(communicator)
    await send_acknowledged(communicator, 3, prefix="ok")

    await send(communicator, "one frame too many", client_id="over")
    refusal = await communicator.receive_json_from()

    assert (refusal["type"], refusal["code"]) == ("error", "rate_limited")
    assert refusal["retry_after"] > 0
    assert await database_sync_to_async(Message.objects.count)() == 3


REFUSED = {
    "invalid JSON": lambda ids: {"text": "{nope"},
    "not an object": lambda ids: {"text": "[1, 2]"},
    "binary": lambda ids: {"bytes": b"\x01\x02"},
    "too large": lambda ids: {"text": "x" * 65_600},
    "unknown type": lambda ids: {"text": json.dumps({"type": "shout"})},
    "empty message": lambda ids: {"text": json.dumps({"type": "message.send", "body": " "})},
    "someone else's message": lambda ids: {
        "text": json.dumps({"type": "message.edit", "id": ids[-1], "body": "mine now"})
    },
    "no such message": lambda ids: {"text": json.dumps({"type": "message.delete", "id": 10**9})},
}


@pytest.mark.parametrize("kind", REFUSED)
async def test_refused_frames_in_a_row_are_strikes_and_close_the_socket_with_4420(
    settings, open_socket, member, other_member, kind
):
    settings.PARLEY_RATE_LIMIT_STRIKES = 2
    ids = await own_messages(other_member, 1)
    communicator = await open_socket(member.user)
    await joined(communicator)

    for _ in range(3):
        await communicator.send_input({"type": "websocket.receive", **REFUSED[kind](ids)})
    answers, code = await answers_until_closed(communicator)

    assert [answer["type"] for answer in answers] == ["error", "error"]
    assert code == 4420


async def test_an_accepted_frame_forgives_the_strikes_before_it(settings, open_socket, member):
    settings.PARLEY_RATE_LIMIT_STRIKES = 2
    communicator = await open_socket(member.user)
    await joined(communicator)

    for client_id in ["a", "b"]:
        for _ in range(2):
            await communicator.send_to(text_data="{nope")
            assert (await communicator.receive_json_from())["code"] == "invalid"
        await send(communicator, f"fine {client_id}", client_id=client_id)
        assert (await communicator.receive_json_from())["type"] == "message.new"

    assert await communicator.receive_nothing()


async def test_a_flood_is_closed_after_its_strikes_and_not_answered_frame_by_frame(
    settings, roomy_inbound, open_socket, member
):
    settings.PARLEY_RATE_LIMIT_STRIKES = 20
    communicator = await open_socket(member.user)
    await joined(communicator)

    for _ in range(500):
        await communicator.send_to(text_data="x" * 65_600)
    answers, code = await answers_until_closed(communicator)

    assert code == 4420
    assert len(answers) == 20
    assert {answer["code"] for answer in answers} == {"too_large"}


async def test_typing_and_read_markers_share_one_bucket_across_the_users_sockets(
    settings, open_socket, member
):
    settings.PARLEY_USER_FRAME_BURST = 2
    settings.PARLEY_USER_FRAME_RATE = 0.001
    first, second = await open_socket(member.user), await open_socket(member.user)
    await joined(first)
    await joined(second)

    await first.send_json_to({"type": "typing", "active": True})
    await second.send_json_to({"type": "typing", "active": True})
    assert await first.receive_nothing()
    await first.send_json_to({"type": "typing", "active": False})
    refusal = await first.receive_json_from()

    assert (refusal["type"], refusal["code"]) == ("error", "rate_limited")
    assert refusal["retry_after"] > 0


# --- The user's message budget across rooms ----------------------------------------


async def test_posting_in_ten_rooms_at_once_does_not_multiply_the_users_budget(
    settings, open_socket, user
):
    settings.PARLEY_MESSAGE_BURST = 3
    settings.PARLEY_USER_MESSAGE_BURST = 5
    settings.PARLEY_USER_MESSAGE_RATE = 0.01
    slugs = await database_sync_to_async(
        lambda: [MembershipFactory(user=user, room=RoomFactory()).room.slug for _ in range(10)]
    )()
    sockets = [await open_socket(user, slug) for slug in slugs]
    for socket in sockets:
        await joined(socket)

    for n, socket in enumerate(sockets):
        await send(socket, f"hello room {n}", client_id=f"c-{n}")
    answers = [await socket.receive_json_from() for socket in sockets]

    # The ten sockets are served concurrently: which five get through is a matter of order.
    accepted = [answer for answer in answers if answer["type"] == "message.new"]
    refused = [answer for answer in answers if answer["type"] == "error"]
    assert (len(accepted), len(refused)) == (5, 5), answers
    for refusal in refused:
        assert refusal["code"] == "rate_limited"
        assert refusal["retry_after"] > 0
    answered = {a["message"]["client_id"] for a in accepted} | {r["client_id"] for r in refused}
    assert answered == {f"c-{n}" for n in range(10)}
    assert await database_sync_to_async(Message.objects.count)() == 5


async def test_a_refusal_by_the_users_budget_leaves_the_rooms_budget_untouched(
    settings, open_socket, member, wall_clock
):
    settings.PARLEY_MESSAGE_BURST = 2
    settings.PARLEY_MESSAGE_RATE = 0.001
    settings.PARLEY_USER_MESSAGE_BURST = 1
    settings.PARLEY_USER_MESSAGE_RATE = 2
    communicator = await open_socket(member.user)
    await joined(communicator)
    await send(communicator, "first", client_id="first")
    assert (await communicator.receive_json_from())["type"] == "message.new"

    await send(communicator, "too soon", client_id="soon")
    refusal = await communicator.receive_json_from()
    assert refusal["code"] == "rate_limited"
    wall_clock.shift(refusal["retry_after"] + 0.1)
    await send(communicator, "second", client_id="second")

    assert (await communicator.receive_json_from())["type"] == "message.new"


# --- The sidebar's socket reads nothing, and is not a way around the budget ------------


async def test_a_flood_at_the_inbox_socket_is_answered_only_within_the_budget_then_closed(
    small_socket_budget, roomy_inbound, member
):
    cookie = await database_sync_to_async(session_cookie)(member.user)
    inbox = WebsocketCommunicator(
        application,
        "/ws/inbox/",
        headers=[(b"origin", ORIGIN), (b"host", b"127.0.0.1"), (b"cookie", cookie)],
    )
    connected, _ = await inbox.connect()
    assert connected
    assert (await inbox.receive_json_from())["type"] == "unread.snapshot"

    for _ in range(100):
        await inbox.send_to(text_data="x" * 65_600)
    answers, code = await answers_until_closed(inbox)
    await inbox.disconnect()

    assert code == 4420
    # The budget's frames are answered, then the first refusal past it, then nothing.
    assert [answer["code"] for answer in answers] == ["invalid"] * 3 + ["rate_limited"]
