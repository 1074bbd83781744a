"""Attacks on the socket transport, performed against a real daphne process.

Each test is the attack itself: if a regression lets it succeed again, the test fails.
"""

import asyncio
import contextlib
import json
import re
import socket
import sqlite3
import struct
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from chatclient.client import cookie_header
from chatclient.server import LiveServer, sending_limits
from tests.support.live_server import PASSWORD, RoomOfTwo
from tests.support.proxy import TcpProxy

pytestmark = pytest.mark.live

SETTLE = 15.0
# The floods here measure the transport, not the rate limits (tests/security/test_rules.py).
FAST_SENDING = sending_limits(burst=100_000)
SOCKET_CAP = 4


def attack_server(tmp_dir: Path, kind: str) -> LiveServer:
    """``kind`` as in production, with a small socket cap and a fast presence heartbeat."""
    return LiveServer(
        tmp_dir,
        server=kind,
        extra_env={
            **FAST_SENDING,
            # As in production; with DEBUG on, Django keeps every query in memory.
            "DEBUG": "false",
            "SECURE_COOKIES": "false",
            "SECURE_SSL_REDIRECT": "false",
            "WHITENOISE_USE_FINDERS": "true",
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "PARLEY_MAX_SOCKETS_PER_USER": str(SOCKET_CAP),
            "PARLEY_PRESENCE_HEARTBEAT": "1",
        },
    ).start()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    server = attack_server(tmp_path_factory.mktemp("attacks"), "daphne")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def uvicorn_server(tmp_path_factory) -> Iterator[LiveServer]:
    server = attack_server(tmp_path_factory.mktemp("attacks-uvicorn"), "uvicorn")
    yield server
    server.stop()


@pytest.fixture(params=["daphne", "uvicorn"])
def each_server(request) -> LiveServer:
    """The attack against daphne (bin/run) and against uvicorn (platform/serve.py's workers)."""
    return request.getfixturevalue("server" if request.param == "daphne" else "uvicorn_server")


@pytest.fixture
def room(server, room_of_two) -> RoomOfTwo:
    """A room on the server: its owner and one other member (the attacker), logged in."""
    return room_of_two(server)


@pytest.fixture
def each_room(each_server, room_of_two) -> RoomOfTwo:
    return room_of_two(each_server)


async def connect(
    server: LiveServer, client, path: str, *, port: int | None = None, **options
) -> ClientConnection:
    # Through a proxy the page's origin is the proxy's, as a browser would see it.
    origin = f"http://127.0.0.1:{port or server.port}"
    url = f"ws://{origin.removeprefix('http://')}{path}"
    headers = {"Origin": origin, "Cookie": cookie_header(client)}
    return await websockets.connect(
        url, additional_headers=headers, proxy=None, open_timeout=5, max_size=2**24, **options
    )


async def room_socket(server: LiveServer, client, slug: str, **options) -> ClientConnection:
    return await connect(server, client, f"/ws/rooms/{slug}/?presence=1", **options)


async def frame_of_type(ws: ClientConnection, kind: str, within: float = SETTLE) -> dict:
    async with asyncio.timeout(within):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == kind:
                return frame


async def close_code(
    ws: ClientConnection, within: float = SETTLE, *, pong: bool = False
) -> int | None:
    """Read (and drop) frames until the server closes; its close code, None without one.

    With ``pong`` it answers pings, as the page does.
    """
    async with asyncio.timeout(within):
        with contextlib.suppress(ConnectionClosed):
            while True:
                frame = json.loads(await ws.recv())
                if pong and frame["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
    return ws.protocol.close_rcvd.code if ws.protocol.close_rcvd is not None else None


async def small_buffer_socket(server: LiveServer) -> socket.socket:
    """A TCP connection whose receive buffer fills quickly once its reader stops."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", server.port))
    return sock


def reset(ws: ClientConnection) -> None:
    """Drop the TCP connection with a RST, as a crashed or vanished client does."""
    if ws.transport.is_closing():
        return
    sock = ws.transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    ws.transport.abort()


async def online_names(server: LiveServer, room: RoomOfTwo) -> list[str]:
    """Who a page opening the room now is told is online (the owner's own page included)."""
    ws = await room_socket(server, room.owner, room.slug)
    try:
        frame = await frame_of_type(ws, "presence")
    finally:
        await ws.close()
    return [user["username"] for user in frame["online"]]


@contextlib.asynccontextmanager
async def editing(server: LiveServer, room: RoomOfTwo) -> AsyncIterator[None]:
    """The owner edits one message as fast as the server answers: a frame to every socket."""
    ws = await room_socket(server, room.owner, room.slug)
    await frame_of_type(ws, "history")
    await ws.send(json.dumps({"type": "message.send", "body": "edit me", "client_id": "e"}))
    message_id = (await frame_of_type(ws, "message.new"))["message"]["id"]

    async def edit_forever() -> None:
        n = 0
        while True:
            n += 1
            edit = {"type": "message.edit", "id": message_id, "body": f"edit {n} " + "x" * 500}
            await ws.send(json.dumps(edit))
            await frame_of_type(ws, "message.edited")

    task = asyncio.create_task(edit_forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
            await task
        await ws.close()


# ---------------------------------------------------------------------------
# B7: clients that vanish while the server writes to them
# ---------------------------------------------------------------------------


def log_in(server: LiveServer, username: str) -> httpx.Client:
    """A new session for ``username`` through allauth's log-in form."""
    client = httpx.Client(base_url=server.base_url, timeout=10, trust_env=False)
    form = client.get("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    response = client.post(
        "/accounts/login/",
        data={"login": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302, response.text[:500]
    return client


def log_out(client: httpx.Client) -> None:
    response = client.post(
        "/accounts/logout/", data={"csrfmiddlewaretoken": client.cookies["csrftoken"]}
    )
    assert response.status_code == 302


async def test_clients_vanishing_mid_write_leak_no_socket_slot_and_no_ghost_presence(
    each_server, each_room
):
    """Sockets the server closes (a log-out) or the client resets while edits stream to them:
    afterwards the user is offline and may open as many sockets as ever."""
    server, room = each_server, each_room
    async with editing(server, room):
        for round_ in range(3):
            session = await asyncio.to_thread(log_in, server, room.member_name)
            attackers = [
                await room_socket(server, session, room.slug) for _ in range(SOCKET_CAP - 1)
            ]
            for ws in attackers:
                await frame_of_type(ws, "history")
            reset(attackers[round_ % len(attackers)])
            # The server closes the others with 4401 and, until they answer (they never
            # read again), keeps writing the edits to protocols that are closing.
            await asyncio.to_thread(log_out, session)
            await asyncio.sleep(0.5)
            for ws in attackers:
                reset(ws)
            session.close()

    deadline = time.monotonic() + SETTLE
    while room.member_name in (names := await online_names(server, room)):
        assert time.monotonic() < deadline, f"still shown online: {names}"
        await asyncio.sleep(0.2)
    sockets = [await room_socket(server, room.member, room.slug) for _ in range(SOCKET_CAP)]
    for ws in sockets:
        assert (await frame_of_type(ws, "history"))["type"] == "history"
        await ws.close()
    assert "Exception inside application" not in server.log_tail(10_000)


# ---------------------------------------------------------------------------
# B5: a client that never reads while the room floods
# ---------------------------------------------------------------------------


def rss_bytes(server: LiveServer) -> int:
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024


async def flood(server: LiveServer, client, slug: str, count: int, body: str) -> None:
    """Send ``count`` messages, a window of them at a time, as fast as they are acknowledged."""
    ws = await room_socket(server, client, slug)
    await frame_of_type(ws, "history")
    window = 50
    for start in range(0, count, window):
        batch = range(start, min(count, start + window))
        for n in batch:
            frame = {"type": "message.send", "body": body, "client_id": f"f{n}"}
            await ws.send(json.dumps(frame))
        last = f"f{batch[-1]}"
        async with asyncio.timeout(SETTLE):
            while True:
                frame = json.loads(await ws.recv())
                if frame["type"] == "message.new" and frame["message"]["client_id"] == last:
                    break
    await ws.close()


async def served_until_closed(ws: ClientConnection) -> int:
    """Read until the server closes or drops the socket: the frames read, -1 if it never does."""
    frames_read = 0
    with contextlib.suppress(ConnectionClosed, TimeoutError):
        async with asyncio.timeout(2 * SETTLE):
            while True:
                await ws.recv()
                frames_read += 1
    return frames_read if ws.protocol.state is State.CLOSED else -1


async def test_clients_that_never_read_are_cut_off_and_the_server_does_not_hold_the_flood(
    server, room
):
    """About 8 MB of messages to each of four sockets that read nothing: the server drops
    each once 1 MiB waits for it, so its memory grows by far less than the 32 MB it was
    asked to deliver."""
    count, body = 1000, "x" * 4000
    # Warm up (first messages, first renders), so the measurement is the flood's.
    await flood(server, room.owner, room.slug, 50, body)
    stalled = []
    for _ in range(SOCKET_CAP):
        sock = await small_buffer_socket(server)
        # Its own keepalive would give up on the server first.
        options = {"sock": sock, "max_queue": 1, "ping_interval": None}
        stalled.append(await room_socket(server, room.member, room.slug, **options))
        await frame_of_type(stalled[-1], "history")
    before = rss_bytes(server)

    await flood(server, room.owner, room.slug, count, body)
    grown = rss_bytes(server) - before
    frames_read = await asyncio.gather(*(served_until_closed(ws) for ws in stalled))

    assert all(0 <= n < count / 2 for n in frames_read), f"frames read: {frames_read}"
    for ws in stalled:
        # No close code: dropped, as it could not read the close either.
        assert ws.protocol.close_rcvd is None or ws.protocol.close_rcvd.code == 4503
    assert grown < 12 * 1024 * 1024, f"the server grew by {grown / 2**20:.1f} MiB"


# ---------------------------------------------------------------------------
# B2: one account sending large refused frames on every socket it may open
# ---------------------------------------------------------------------------


async def send_as_fast_as_possible(ws: ClientConnection, frame: str, seconds: float) -> bool:
    """Send ``frame`` over and over for ``seconds``, reading nothing; True if the server closed."""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            await ws.send(frame)
    except ConnectionClosed:
        return True
    return False


async def test_large_refused_frames_on_four_sockets_do_not_grow_the_server_without_bound(
    server, room
):
    sockets = []
    for _ in range(SOCKET_CAP):
        sockets.append(await room_socket(server, room.member, room.slug, ping_interval=None))
        await frame_of_type(sockets[-1], "history")
    frame = json.dumps({"type": "message.send", "body": "x" * 65_000, "client_id": "big"})
    before = peak = rss_bytes(server)

    async def watch() -> None:
        nonlocal peak
        while True:
            peak = max(peak, rss_bytes(server))
            await asyncio.sleep(0.1)

    watcher = asyncio.create_task(watch())
    closed = await asyncio.gather(*(send_as_fast_as_possible(ws, frame, 5) for ws in sockets))
    watcher.cancel()
    for ws in sockets:
        ws.transport.abort()

    assert all(closed), f"still open after 5 s: {closed}"
    assert peak - before < 32 * 1024 * 1024, f"the server grew by {(peak - before) / 2**20:.1f} MiB"


# ---------------------------------------------------------------------------
# A2 and B3: stalled connections and sessions that end behind the socket's back
# ---------------------------------------------------------------------------

PING_INTERVAL = PING_TIMEOUT = 1.0
SESSION_RECHECK = 2.0


@pytest.fixture(scope="module")
def quick_server(tmp_path_factory) -> Iterator[LiveServer]:
    """Daphne with a one-second heartbeat and a two-second session re-check."""
    server = LiveServer(
        tmp_path_factory.mktemp("quick"),
        extra_env={
            "PARLEY_PING_INTERVAL": str(PING_INTERVAL),
            "PARLEY_PING_TIMEOUT": str(PING_TIMEOUT),
            "PARLEY_SESSION_RECHECK": str(SESSION_RECHECK),
            "PARLEY_PRESENCE_HEARTBEAT": "1",
        },
    ).start()
    yield server
    server.stop()


@pytest.fixture
def quick_room(quick_server, room_of_two) -> RoomOfTwo:
    return room_of_two(quick_server)


async def answering_pings(ws: ClientConnection, seconds: float) -> None:
    """Behave as the page does for ``seconds``: read everything and answer each ping."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while True:
                if json.loads(await ws.recv())["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))


async def test_a_stalled_connection_is_closed_and_its_member_shown_offline(
    quick_server, quick_room
):
    proxy = TcpProxy(quick_server.port).start()
    try:
        ws = await connect(
            quick_server,
            quick_room.member,
            f"/ws/rooms/{quick_room.slug}/?presence=1",
            port=proxy.port,
            ping_interval=None,
        )
        await frame_of_type(ws, "history")
        assert quick_room.member_name in await online_names(quick_server, quick_room)
        proxy.stall()
        stalled_at = time.monotonic()

        while quick_room.member_name in await online_names(quick_server, quick_room):
            assert time.monotonic() - stalled_at < SETTLE
            await asyncio.sleep(0.1)
        offline_after = time.monotonic() - stalled_at
    finally:
        proxy.close()

    # Interval and timeout, then at most daphne's one-second closing handshake.
    assert offline_after < PING_INTERVAL + PING_TIMEOUT + 1.5 + 1.0


async def test_a_page_that_answers_pings_stays_connected(quick_server, quick_room):
    ws = await room_socket(quick_server, quick_room.member, quick_room.slug, ping_interval=None)

    await answering_pings(ws, 4 * (PING_INTERVAL + PING_TIMEOUT))

    assert ws.protocol.state is State.OPEN
    await ws.close()


async def test_a_client_that_never_answers_pings_is_closed_with_4408(quick_server, quick_room):
    ws = await room_socket(quick_server, quick_room.member, quick_room.slug, ping_interval=None)

    assert await close_code(ws, within=PING_INTERVAL + PING_TIMEOUT + 2) == 4408


def session_key_of(client: httpx.Client) -> str:
    return client.cookies["sessionid"]


def in_database(server: LiveServer, statement: str, *parameters: object) -> None:
    """Change the server's database directly: no signal, no event, nothing the socket hears."""
    with contextlib.closing(sqlite3.connect(server.tmp_dir / "db.sqlite3", timeout=10)) as db:
        db.execute(statement, parameters)
        db.commit()


async def test_a_session_deleted_behind_the_servers_back_closes_its_socket_with_4401(
    quick_server, quick_room
):
    session = await asyncio.to_thread(log_in, quick_server, quick_room.member_name)
    ws = await room_socket(quick_server, session, quick_room.slug, ping_interval=None)
    await frame_of_type(ws, "history")

    await asyncio.to_thread(
        in_database,
        quick_server,
        "DELETE FROM django_session WHERE session_key = ?",
        session_key_of(session),
    )

    assert await close_code(ws, within=SESSION_RECHECK + 2, pong=True) == 4401
    session.close()


async def test_a_socket_closes_with_4401_within_a_second_of_its_sessions_expiry(
    quick_server, quick_room
):
    session = await asyncio.to_thread(log_in, quick_server, quick_room.member_name)
    expires = datetime.now(UTC) + timedelta(seconds=1.5)
    await asyncio.to_thread(
        in_database,
        quick_server,
        "UPDATE django_session SET expire_date = ? WHERE session_key = ?",
        expires.strftime("%Y-%m-%d %H:%M:%S.%f"),
        session_key_of(session),
    )
    ws = await room_socket(quick_server, session, quick_room.slug, ping_interval=None)
    await frame_of_type(ws, "history")

    code = await close_code(ws, within=5, pong=True)
    closed_at = datetime.now(UTC)

    assert code == 4401
    assert closed_at - expires < timedelta(seconds=1)
    session.close()


async def test_a_frame_far_past_the_limit_is_refused_by_the_server_before_it_is_buffered(
    server, room
):
    ws = await room_socket(server, room.member, room.slug, ping_interval=None)
    await frame_of_type(ws, "history")

    # Past daphne's own limit (1 MiB, which autobahn applies to what it sends as well, so
    # it cannot be lowered below the largest history frame).
    await ws.send(json.dumps({"type": "message.send", "body": "x" * 2**21, "client_id": "h"}))

    # 1009 "message too big", or the connection dropped at once; never buffered and answered.
    assert await close_code(ws) in (1009, None)


# ---------------------------------------------------------------------------
# B11: the inbox socket under the same per-user cap
# ---------------------------------------------------------------------------


async def test_inbox_sockets_past_the_cap_are_closed_with_4429_and_free_their_slots(
    each_server, each_room
):
    server, room = each_server, each_room
    inboxes = [
        await connect(server, room.member, "/ws/inbox/", ping_interval=None)
        for _ in range(SOCKET_CAP)
    ]
    for ws in inboxes:
        await frame_of_type(ws, "unread.snapshot")
    one_too_many = await connect(server, room.member, "/ws/inbox/", ping_interval=None)

    assert await close_code(one_too_many) == 4429
    for ws in inboxes:
        await ws.close()
    # Closed inboxes give their slots back: a room page opens again.
    deadline = time.monotonic() + SETTLE
    while True:
        page = await room_socket(server, room.member, room.slug, ping_interval=None)
        frame = None
        with contextlib.suppress(ConnectionClosed):
            frame = await frame_of_type(page, "history")
        await page.close()
        if frame is not None:
            break
        assert time.monotonic() < deadline, "the inbox sockets' slots were never released"
        await asyncio.sleep(0.1)
