"""Attacks on the socket's limits and rules, performed against a real daphne process."""

import asyncio
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from chatclient.client import cookie_header, create_room, join_room, signup
from chatclient.server import LiveServer
from tests.support.live_server import PASSWORD, room_with_two_members

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


async def post_as_a_page(socket: ClientConnection, body: str) -> None:
    """Send a message until it is acknowledged, waiting ``retry_after`` when told to."""
    frame = {"type": "message.send", "body": body, "client_id": uuid4().hex}
    while True:
        await socket.send(json.dumps(frame))
        async with asyncio.timeout(FRAME_TIMEOUT):
            while True:
                answer = json.loads(await socket.recv())
                if answer.get("client_id") == frame["client_id"] or (
                    answer["type"] == "message.new"
                    and answer["message"]["client_id"] == frame["client_id"]
                ):
                    break
        if answer["type"] == "message.new":
            return
        assert answer["code"] == "rate_limited", answer
        await asyncio.sleep(answer["retry_after"])


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


def form_post(client, path: str, data: dict[str, str] | None = None) -> int:
    """POST a form as the page would (CSRF token from the cookie); the status code."""
    token = client.cookies["csrftoken"]
    return client.post(path, data={**(data or {}), "csrfmiddlewaretoken": token}).status_code


async def test_posting_in_ten_rooms_at_once_stays_within_one_users_budget(server):
    """The attack of B14: the per-room limit multiplied by opening rooms. Ten rooms,
    ten messages each, all at once: the user's budget across rooms holds."""
    tag = uuid4().hex[:8]
    spammer = signup(server.base_url, f"spammer-{tag}", PASSWORD)
    slugs = [create_room(spammer, f"Spam {tag} {n}") for n in range(10)]
    try:
        sockets = [await room_socket(server, slug, spammer) for slug in slugs]
        for socket in sockets:
            await frame_of(socket, "history")
        started = time.monotonic()
        for n in range(10):
            for socket in sockets:
                frame = {"type": "message.send", "body": f"spam {n}", "client_id": uuid4().hex}
                await socket.send(json.dumps(frame))
        answers = [
            json.loads(await asyncio.wait_for(socket.recv(), FRAME_TIMEOUT))
            for socket in sockets
            for _ in range(10)
        ]
        lasted = time.monotonic() - started
        for socket in sockets:
            await socket.close()
    finally:
        spammer.close()

    accepted = [a for a in answers if a["type"] == "message.new"]
    refused = [a for a in answers if a["type"] == "error"]
    assert len(accepted) + len(refused) == 100
    assert {a["code"] for a in refused} == {"rate_limited"}
    assert all(a["client_id"] and a["retry_after"] > 0 for a in refused)
    # The default budget across rooms: a burst of 20, then 3 a second.
    assert len(accepted) <= 20 + 3 * lasted + 1


async def test_sockets_connecting_while_their_user_is_banned_never_hear_what_follows(server):
    """The attack of B4, repeated: connect at the moment of a ban; whatever the timing,
    the socket ends with 4403 and receives nothing posted after the ban."""
    room = room_with_two_members(server)
    members_page = f"/rooms/{room.slug}/members/"
    try:
        async with room_socket(server, room.slug, room.owner) as speaker:
            await frame_of(speaker, "history")
            for attempt in range(16):
                connecting = asyncio.ensure_future(room_socket(server, room.slug, room.member))
                # The ban lands at a different step of the socket's connect each time.
                await asyncio.sleep(attempt * 0.003)
                status = await asyncio.to_thread(
                    form_post,
                    room.owner,
                    f"{members_page}{room.member_name}/",
                    {"action": "ban", "minutes": "60"},
                )
                assert status == 302
                after_ban = f"after ban {attempt}"
                await post_as_a_page(speaker, after_ban)
                banned = await connecting
                heard = []
                try:
                    async with asyncio.timeout(FRAME_TIMEOUT):
                        async for text in banned:
                            frame = json.loads(text)
                            heard += [m["body"] for m in frame.get("messages", [])]
                            if frame["type"] == "message.new":
                                heard.append(frame["message"]["body"])
                except (ConnectionClosed, TimeoutError):
                    pass
                assert banned.close_code == 4403, f"attempt {attempt}: still open"
                assert after_ban not in heard, f"attempt {attempt}"

                ban_id = re.search(r"/bans/(\d+)/lift/", room.owner.get(members_page).text)
                assert form_post(room.owner, f"/rooms/{room.slug}/bans/{ban_id[1]}/lift/") == 302
                join_room(room.member, room.slug)
    finally:
        room.close()
