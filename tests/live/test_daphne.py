"""Parley over real sockets: daphne in a subprocess, clients speaking HTTP and websockets."""

import asyncio

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from chatclient.client import cookie_header
from chatclient.server import LiveServer
from tests.support.wire import FRAME_TIMEOUT, next_frame, send_message

pytestmark = pytest.mark.live

SERVERS = [
    "daphne_server",
    pytest.param("daphne_server_scaled", marks=[pytest.mark.postgres, pytest.mark.redis]),
]


def room_socket(
    server: LiveServer,
    slug: str,
    client: httpx.Client | None = None,
    *,
    origin: str | None = None,
    after: int | None = None,
) -> websockets.connect:
    headers = {"Origin": origin or server.base_url}
    if client is not None:
        headers["Cookie"] = cookie_header(client)
    query = "" if after is None else f"?after={after}"
    return websockets.connect(
        f"{server.ws_url}/ws/rooms/{slug}/{query}",
        additional_headers=headers,
        open_timeout=FRAME_TIMEOUT,
    )


@pytest.mark.parametrize("server_name", SERVERS)
async def test_a_message_reaches_every_member_and_is_stored(request, server_name, room_of_two):
    """Both members' sockets get the same message.new, and the history endpoint returns it."""
    server = request.getfixturevalue(server_name)
    room = room_of_two(server)

    async with (
        room_socket(server, room.slug, room.owner) as ada,
        room_socket(server, room.slug, room.member) as grace,
    ):
        for socket in (ada, grace):
            history = await next_frame(socket, "history")
            assert (history["messages"], history["has_more"]) == ([], False)
        client_id = await send_message(grace, "Hello from Grace")
        seen_by_ada = (await next_frame(ada, "message.new"))["message"]
        seen_by_grace = (await next_frame(grace, "message.new"))["message"]

    assert seen_by_ada == seen_by_grace
    assert seen_by_ada["body"] == "Hello from Grace"
    assert seen_by_ada["client_id"] == client_id
    assert seen_by_ada["room"] == room.slug
    assert seen_by_ada["author"]["username"].startswith("grace-")
    stored = room.owner.get(f"/rooms/{room.slug}/messages/")
    assert stored.status_code == 200
    assert stored.json()["messages"] == [seen_by_ada]


@pytest.mark.postgres
@pytest.mark.redis
async def test_members_on_two_server_processes_see_each_others_messages(
    daphne_server_scaled, daphne_server_scaled_twin, room_of_two
):
    """The Redis channel layer carries a room's messages between separate daphne processes."""
    room = room_of_two(daphne_server_scaled)

    async with (
        room_socket(daphne_server_scaled, room.slug, room.owner) as ada,
        room_socket(daphne_server_scaled_twin, room.slug, room.member) as grace,
    ):
        await next_frame(ada, "history")
        await next_frame(grace, "history")
        for sender, body in ((ada, "from process one"), (grace, "from process two")):
            await send_message(sender, body)
            received = [
                (await next_frame(socket, "message.new"))["message"] for socket in (ada, grace)
            ]
            assert received[0] == received[1]
            assert received[0]["body"] == body


async def test_a_foreign_origin_is_refused_even_with_a_valid_session(daphne_server, room_of_two):
    """The handshake from another site's page is answered 403, whatever cookie it carries."""
    room = room_of_two(daphne_server)
    async with room_socket(daphne_server, room.slug, room.member) as same_site:
        await next_frame(same_site, "history")

    with pytest.raises(InvalidStatus) as refused:
        await room_socket(daphne_server, room.slug, room.member, origin="http://evil.example")

    assert refused.value.response.status_code == 403


async def test_an_anonymous_socket_is_accepted_then_closed_with_4401(daphne_server, room_of_two):
    """Without a session the server sends no history, only the unauthenticated close code."""
    room = room_of_two(daphne_server)

    async with room_socket(daphne_server, room.slug) as anonymous:
        with pytest.raises(ConnectionClosedError) as closed:
            async with asyncio.timeout(FRAME_TIMEOUT):
                await anonymous.recv()

    assert closed.value.rcvd.code == 4401


async def test_reconnecting_with_after_returns_exactly_the_messages_sent_while_away(
    daphne_server, room_of_two
):
    """A socket reopened with ?after=<last seen id> gets the missed messages and nothing else."""
    room = room_of_two(daphne_server)

    async with room_socket(daphne_server, room.slug, room.owner) as ada:
        await next_frame(ada, "history")
        async with room_socket(daphne_server, room.slug, room.member) as grace:
            await next_frame(grace, "history")
            await send_message(ada, "before the gap")
            last_seen = (await next_frame(grace, "message.new"))["message"]["id"]
            await next_frame(ada, "message.new")

        missed = []
        for body in ("while away 1", "while away 2"):
            await send_message(ada, body)
            missed.append((await next_frame(ada, "message.new"))["message"])

        async with room_socket(daphne_server, room.slug, room.member, after=last_seen) as grace:
            caught_up = await next_frame(grace, "history")

    assert [message["body"] for message in caught_up["messages"]] == [
        "while away 1",
        "while away 2",
    ]
    assert caught_up["messages"] == missed
    assert caught_up["has_more"] is False
