"""Presence and typing between separate daphne processes on PostgreSQL and Redis.

Presence lives in the Redis cache and travels on the Redis channel layer, so
two people whose sockets are served by different processes see each other
come, go and type; and when a process is killed, its users drop out once
their entries miss three heartbeats.
"""

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from chatclient.client import cookie_header
from chatclient.server import LiveServer
from tests.support.live_server import SCALED_DATABASE_URL, SCALED_REDIS_URL

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis]

FRAME_TIMEOUT = 5
QUIET = 0.5  # how long "nothing more arrives" is watched for
FAST_HEARTBEAT = 0.5


def page_socket(server: LiveServer, slug: str, client: httpx.Client) -> websockets.connect:
    """A room socket as the page opens it: asking for presence and typing."""
    return websockets.connect(
        f"{server.ws_url}/ws/rooms/{slug}/?presence=1",
        additional_headers={"Origin": server.base_url, "Cookie": cookie_header(client)},
        open_timeout=FRAME_TIMEOUT,
    )


async def next_of(
    socket: ClientConnection,
    frame_type: str,
    where: Callable[[dict[str, Any]], bool] = lambda frame: True,
    *,
    within: float = FRAME_TIMEOUT,
) -> dict[str, Any]:
    """The next frame of ``frame_type`` that satisfies ``where``; others are skipped."""
    async with asyncio.timeout(within):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == frame_type and where(frame):
                return frame


async def quiet_frames(socket: ClientConnection, *, quiet: float = QUIET) -> list[dict[str, Any]]:
    """Frames that arrive until the socket has been quiet for ``quiet`` seconds."""
    frames = []
    while True:
        try:
            async with asyncio.timeout(quiet):
                frames.append(json.loads(await socket.recv()))
        except TimeoutError:
            return frames


def names(frame: dict[str, Any]) -> list[str]:
    return sorted(user["username"] for user in frame["online"])


def about(username: str, online: bool) -> Callable[[dict[str, Any]], bool]:
    return lambda frame: frame["user"]["username"] == username and frame["online"] is online


async def opened(socket: ClientConnection) -> dict[str, Any]:
    """Wait for the history, then return the presence snapshot that follows it."""
    await next_of(socket, "history")
    return await next_of(socket, "presence")


@pytest.fixture(scope="module")
def fast_heartbeat_pair(daphne_server_scaled, tmp_path_factory) -> Iterator[list[LiveServer]]:
    """Two more processes on the same database and Redis, beating every half second."""
    servers = [
        LiveServer(
            tmp_path_factory.mktemp(f"heartbeat-{n}"),
            database_url=SCALED_DATABASE_URL,
            redis_url=SCALED_REDIS_URL,
            extra_env={"PARLEY_PRESENCE_HEARTBEAT": str(FAST_HEARTBEAT)},
        )
        for n in range(2)
    ]
    # The scaled server already migrated the shared database.
    yield [server.start(migrate=False) for server in servers]
    for server in servers:
        server.stop()


async def test_people_on_two_processes_see_each_other_come_and_go(
    daphne_server_scaled, daphne_server_scaled_twin, room_of_two
):
    room = room_of_two(daphne_server_scaled)

    async with page_socket(daphne_server_scaled, room.slug, room.owner) as ada:
        alone = await opened(ada)
        async with page_socket(daphne_server_scaled_twin, room.slug, room.member) as grace:
            together = await opened(grace)
            arrived = await next_of(ada, "presence.changed", about(room.member_name, True))
        departed = await next_of(ada, "presence.changed", about(room.member_name, False))

    assert names(alone) == [room.owner_name]
    assert names(together) == sorted([room.owner_name, room.member_name])
    assert arrived["user"] == {
        "username": room.member_name,
        "display_name": room.member_name,
        "avatar_url": None,
    }
    assert departed["user"] == arrived["user"]


async def test_typing_on_one_process_is_shown_on_the_other(
    daphne_server_scaled, daphne_server_scaled_twin, room_of_two
):
    room = room_of_two(daphne_server_scaled)

    async with (
        page_socket(daphne_server_scaled, room.slug, room.owner) as ada,
        page_socket(daphne_server_scaled_twin, room.slug, room.member) as grace,
    ):
        await opened(ada)
        await opened(grace)
        await grace.send(json.dumps({"type": "typing", "active": True}))
        started = await next_of(ada, "typing")
        await grace.send(json.dumps({"type": "typing", "active": False}))
        stopped = await next_of(ada, "typing")
        echoed = [frame for frame in await quiet_frames(grace) if frame["type"] == "typing"]

    assert (started["user"]["username"], started["active"]) == (room.member_name, True)
    assert (stopped["user"]["username"], stopped["active"]) == (room.member_name, False)
    assert echoed == []


async def test_two_tabs_on_two_processes_count_once(
    daphne_server_scaled, daphne_server_scaled_twin, room_of_two
):
    """Ada's tabs on different processes share one entry: one arrival, one departure."""
    room = room_of_two(daphne_server_scaled)

    async with page_socket(daphne_server_scaled, room.slug, room.member) as grace:
        await opened(grace)
        async with page_socket(daphne_server_scaled, room.slug, room.owner) as first_tab:
            await opened(first_tab)
            await next_of(grace, "presence.changed", about(room.owner_name, True))
            async with page_socket(daphne_server_scaled_twin, room.slug, room.owner) as second:
                assert names(await opened(second)) == sorted([room.owner_name, room.member_name])
                after_second_tab = await quiet_frames(grace)
            after_one_closed = await quiet_frames(grace)
        departed = await next_of(grace, "presence.changed", about(room.owner_name, False))

    assert [f for f in after_second_tab if f["type"].startswith("presence")] == []
    assert [f for f in after_one_closed if f["type"].startswith("presence")] == []
    assert departed["user"]["username"] == room.owner_name


async def test_people_on_a_killed_process_drop_out_after_three_missed_heartbeats(
    fast_heartbeat_pair, room_of_two
):
    """No goodbye comes from a process killed with SIGKILL; the entries expire instead."""
    observer, victim = fast_heartbeat_pair
    room = room_of_two(observer)

    async with page_socket(observer, room.slug, room.owner) as ada:
        await opened(ada)
        async with page_socket(victim, room.slug, room.member) as grace:
            await opened(grace)
            await next_of(ada, "presence.changed", about(room.member_name, True))

            loop = asyncio.get_running_loop()
            killed_at = loop.time()
            await asyncio.to_thread(victim.kill)
            resynced = await next_of(
                ada, "presence", lambda frame: room.member_name not in names(frame), within=10
            )
            gone_after = loop.time() - killed_at

    assert names(resynced) == [room.owner_name]
    # Not at once: the last refresh may precede the kill by up to one beat, so at least two
    # beats pass; then within a beat (the observer's re-sync) of the expiry, plus slack.
    assert 2 * FAST_HEARTBEAT - 0.25 <= gone_after <= 4 * FAST_HEARTBEAT + 1
