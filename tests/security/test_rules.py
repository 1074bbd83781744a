"""Attacks on the socket's limits and rules, performed against a real daphne process."""

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from tests.live_server import (
    PASSWORD,
    LiveServer,
    cookie_header,
    join_room,
    room_with_two_members,
    signup,
)

pytestmark = pytest.mark.live

FRAME_TIMEOUT = 5.0
JUNK = "x" * (65 * 1024)  # past the 64 KB frame limit: refused unread, answered too_large


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    """Daphne with the default limits: the attack must fail against what ships."""
    server = LiveServer(tmp_path_factory.mktemp("security-rules")).start()
    yield server
    server.stop()


def resident_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def room_socket(server: LiveServer, slug: str, client) -> websockets.connect:
    return websockets.connect(
        f"{server.ws_url}/ws/rooms/{slug}/",
        additional_headers={"Origin": server.base_url, "Cookie": cookie_header(client)},
        open_timeout=FRAME_TIMEOUT,
        max_size=None,
        # Clients that do not read still take in the answers, so a close frame
        # is seen among them.
        max_queue=None,
    )


async def frame_of(socket: ClientConnection, frame_type: str) -> dict:
    """The next frame of ``frame_type``, skipping presence chatter."""
    async with asyncio.timeout(FRAME_TIMEOUT):
        while True:
            frame = json.loads(await socket.recv())
            if frame["type"] == frame_type:
                return frame


async def flood_until_closed(socket: ClientConnection) -> int:
    """Send junk as fast as the connection takes it, never reading; the close code."""
    try:
        while True:
            await socket.send(JUNK)
    except ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else -1


async def test_four_sockets_of_one_user_flooding_65_kb_junk_are_all_closed_with_4420(server):
    """The attack of B2: the server cuts every flooding socket off within seconds,
    stays small, and a well-behaved member of the same room keeps chatting."""
    room = room_with_two_members(server)
    tag = uuid4().hex[:8]
    bystander = signup(server.base_url, f"bystander-{tag}", PASSWORD)
    join_room(bystander, room.slug)
    rss_before = resident_kib(server.process.pid)
    try:
        async with (
            room_socket(server, room.slug, room.owner) as speaker,
            room_socket(server, room.slug, bystander) as listener,
        ):
            await frame_of(speaker, "history")
            await frame_of(listener, "history")
            attackers = [
                await websockets.connect(
                    f"{server.ws_url}/ws/rooms/{room.slug}/",
                    additional_headers={
                        "Origin": server.base_url,
                        "Cookie": cookie_header(room.member),
                    },
                    open_timeout=FRAME_TIMEOUT,
                    max_size=None,
                    # The flooder never reads; the library still takes in the
                    # answers, so the close frame is seen among them.
                    max_queue=None,
                )
                for _ in range(4)
            ]
            started = time.monotonic()
            async with asyncio.timeout(10):
                codes = await asyncio.gather(*(flood_until_closed(a) for a in attackers))
            cut_off_after = time.monotonic() - started

            for n in range(3):
                client_id = uuid4().hex
                await speaker.send(
                    json.dumps(
                        {"type": "message.send", "body": f"still here {n}", "client_id": client_id}
                    )
                )
                heard = await frame_of(listener, "message.new")
                assert heard["message"]["client_id"] == client_id
    finally:
        room.close()
        bystander.close()

    assert codes == [4420] * 4
    assert cut_off_after < 5
    # Each socket may cost its own buffers, not one per refused frame.
    assert resident_kib(server.process.pid) - rss_before < 50 * 1024


async def test_three_hundred_edits_of_one_message_are_cut_off_by_the_rate_limit(server):
    """The attack of B6: edits as fast as the socket takes them. The room sees only
    what the posting budget allows, and the editor is closed with 4420."""
    room = room_with_two_members(server)
    try:
        async with (
            room_socket(server, room.slug, room.member) as editor,
            room_socket(server, room.slug, room.owner) as reader,
        ):
            await frame_of(editor, "history")
            await frame_of(reader, "history")
            await editor.send(
                json.dumps({"type": "message.send", "body": "original", "client_id": "orig"})
            )
            message_id = (await frame_of(editor, "message.new"))["message"]["id"]
            await frame_of(reader, "message.new")

            started = time.monotonic()
            try:
                for n in range(300):
                    await editor.send(
                        json.dumps({"type": "message.edit", "id": message_id, "body": f"e{n}"})
                    )
            except ConnectionClosed:
                pass
            async with asyncio.timeout(FRAME_TIMEOUT):
                await editor.wait_closed()
            flood_lasted = time.monotonic() - started
            edits_seen = 0
            try:
                while True:
                    await frame_of(reader, "message.edited")
                    edits_seen += 1
            except TimeoutError:
                pass
    finally:
        room.close()

    assert editor.close_code == 4420
    assert flood_lasted < FRAME_TIMEOUT
    # The default budget: a burst of 10 (one went to the post), then 2 a second.
    assert 1 <= edits_seen <= 9 + 2 * flood_lasted + 1
