"""Parley under faults, on real daphne processes.

A crashed server, a restarted Redis, an unreachable database, a lost acknowledgement and a member
who stops reading. The members are chatclient's page-like ``ChatClient``; each test ends with
every acknowledged message shown exactly once, in id order, by every member.
"""

import asyncio
import contextlib
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import redis

from chatclient.client import ChatClient, join_room, signup, stored_messages, wait_until
from chatclient.server import (
    LiveServer,
    database_drop,
    database_recreate,
    free_port,
    sending_limits,
)
from tests.support.live_server import PASSWORD, RoomOfTwo
from tests.support.proxy import TcpProxy

pytestmark = pytest.mark.live

SETTLE = 15.0  # the bound on every wait for a condition
FAST_RETRIES = {"backoff_min": 0.05, "backoff_max": 0.5}
FAST_SENDING = sending_limits(burst=10_000)
POSTGRES_PORT = 5432
FAULTS_DATABASE = "parley_faults_test"


# ---------------------------------------------------------------------------
# Processes the tests break on purpose
# ---------------------------------------------------------------------------


@dataclass
class RedisProcess:
    """A private ``redis-server`` without persistence, so a restart forgets everything."""

    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisProcess":
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        self.process = subprocess.Popen(
            [*command, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        probe = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                probe.ping()
                probe.close()
                return self
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()


@contextlib.contextmanager
def running(server: LiveServer) -> Iterator[LiveServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def own_redis() -> Iterator[RedisProcess]:
    process = RedisProcess().start()
    yield process
    process.kill()


@pytest.fixture(scope="module")
def redis_server(own_redis, tmp_path_factory) -> Iterator[LiveServer]:
    """Daphne on SQLite with the channel layer and cache in the private Redis."""
    server = LiveServer(
        tmp_path_factory.mktemp("faults-redis"), redis_url=own_redis.url, extra_env=FAST_SENDING
    )
    with running(server):
        yield server


@pytest.fixture(scope="module")
def fast_server(tmp_path_factory) -> Iterator[LiveServer]:
    """Daphne on SQLite whose rate limit does not get in the way of fast senders."""
    server = LiveServer(tmp_path_factory.mktemp("faults-fast"), extra_env=FAST_SENDING)
    with running(server):
        yield server


@pytest.fixture
def database_behind_proxy() -> Iterator[tuple[TcpProxy, str]]:
    """A fresh PostgreSQL database, reached only through a proxy the test can cut."""
    database_recreate(FAULTS_DATABASE)
    proxy = TcpProxy(POSTGRES_PORT).start()
    yield proxy, f"postgres://postgres@127.0.0.1:{proxy.port}/{FAULTS_DATABASE}"
    proxy.close()
    database_drop(FAULTS_DATABASE)


# ---------------------------------------------------------------------------
# Members and what every test checks at the end
# ---------------------------------------------------------------------------


def member(
    server: LiveServer, slug: str, username: str, http: httpx.Client, **options: Any
) -> ChatClient:
    return ChatClient(
        base_url=server.base_url, slug=slug, username=username, cookies=http.cookies, **options
    )


@contextlib.asynccontextmanager
async def chatting(server: LiveServer, room: RoomOfTwo) -> AsyncIterator[list[ChatClient]]:
    """The room's two members, each with an open socket that has received its history."""
    ada = member(server, room.slug, room.owner_name, room.owner, **FAST_RETRIES)
    grace = member(server, room.slug, room.member_name, room.member, **FAST_RETRIES)
    async with ada, grace:
        await wait_until(lambda: ada.ready.is_set() and grace.ready.is_set(), within=SETTLE)
        yield [ada, grace]


async def chatter(client: ChatClient, count: int) -> None:
    for n in range(count):
        await client.send(f"{client.username} says {n}")
        await asyncio.sleep(0.02)  # typing pace, not synchronisation


async def settled(clients: list[ChatClient]) -> None:
    """Wait until nothing waits to be sent and every member shows every acknowledged message."""

    def state() -> str:
        return "\n".join(client.describe() for client in clients)

    await wait_until(
        lambda: all(not client.outbox for client in clients),
        within=SETTLE,
        what=lambda: f"every message acknowledged\n{state()}",
    )
    acknowledged = {id_ for client in clients for id_ in client.acknowledged.values()}
    await wait_until(
        lambda: all(c.ready.is_set() and acknowledged <= c.seen.keys() for c in clients),
        within=SETTLE,
        what=lambda: f"every member connected and showing every acknowledged message\n{state()}",
    )


async def stored(room: RoomOfTwo) -> list[dict[str, Any]]:
    return await asyncio.to_thread(stored_messages, room.owner, room.slug)


def assert_each_shown_once_in_order(clients: list[ChatClient], messages: list[dict]) -> None:
    """Every member shows exactly the stored messages, once each, by id; each was acknowledged."""
    for client in clients:
        assert client.problems == []
        assert client.duplicates == 0
        assert client.messages == messages
    acknowledged = sorted(id_ for client in clients for id_ in client.acknowledged.values())
    assert acknowledged == [message["id"] for message in messages]


# ---------------------------------------------------------------------------
# The faults
# ---------------------------------------------------------------------------


async def test_members_catch_up_after_the_server_is_killed_mid_stream(tmp_path, room_of_two):
    """SIGKILL daphne while two members chat, start it again on the same port and SQLite file:
    both reconnect, resend what was unacknowledged and end with every message once, in order."""
    server = LiveServer(tmp_path, extra_env=FAST_SENDING)
    with running(server):
        room = room_of_two(server)
        async with chatting(server, room) as (ada, grace):
            talk = [asyncio.create_task(chatter(client, 25)) for client in (ada, grace)]
            await wait_until(
                lambda: len(ada.acknowledged) >= 5 and len(grace.acknowledged) >= 5, within=SETTLE
            )
            server.kill()
            await ada.send("ada, while the server is down")
            await grace.send("grace, while the server is down")
            await asyncio.to_thread(server.restart)
            await asyncio.gather(*talk)
            await settled([ada, grace])
            messages = await stored(room)

    assert len(messages) == 2 * 25 + 2
    assert_each_shown_once_in_order([ada, grace], messages)
    assert ada.stats.reconnects >= 1
    assert grace.stats.reconnects >= 1


@pytest.mark.redis
async def test_delivery_resumes_after_redis_restarts_and_nothing_acknowledged_is_lost(
    redis_server, own_redis, room_of_two
):
    """Kill Redis (channel layer and cache) mid-conversation and start it again on its port:
    sends in between are acknowledged or retried, the same daphne delivers live again, and
    each member ends with every acknowledged message once."""
    room = room_of_two(redis_server)
    async with chatting(redis_server, room) as (ada, grace):
        talk = [asyncio.create_task(chatter(client, 15)) for client in (ada, grace)]
        await wait_until(
            lambda: len(ada.acknowledged) >= 3 and len(grace.acknowledged) >= 3, within=SETTLE
        )
        closes_before = {client: client.stats.closes.total() for client in (ada, grace)}
        own_redis.kill()
        during = {client: await client.send("sent while Redis is down") for client in (ada, grace)}

        def answered_or_retrying(client: ChatClient) -> bool:
            client_id = during[client]
            return (
                client_id in client.acknowledged
                or any(error.get("client_id") == client_id for error in client.error_frames)
                or client.stats.closes.total() > closes_before[client]  # resent on reconnect
            )

        await wait_until(lambda: all(map(answered_or_retrying, (ada, grace))), within=SETTLE)
        await asyncio.to_thread(own_redis.start)
        await asyncio.gather(*talk)
        await settled([ada, grace])

        connects = grace.stats.connects
        client_id = await ada.send("after the restart")
        await wait_until(
            lambda: ada.acknowledged.get(client_id) in grace.seen,
            within=SETTLE,
            what="the new message reaching the other member",
        )
        assert grace.stats.connects == connects  # delivered live, not by a reconnect's catch-up
        messages = await stored(room)

    assert redis_server.process.poll() is None  # the same daphne all along
    assert len(messages) == 2 * 15 + 2 + 1
    assert_each_shown_once_in_order([ada, grace], messages)


@pytest.mark.redis
async def test_a_socket_opened_while_redis_is_down_is_told_to_try_again_later(
    redis_server, own_redis, room_of_two
):
    """With the channel layer unreachable the socket is closed with 4503, as documented."""
    room = room_of_two(redis_server)
    own_redis.kill()
    try:
        async with member(redis_server, room.slug, room.owner_name, room.owner) as ada:
            await wait_until(lambda: ada.stats.closes or ada.stats.connect_failures, within=SETTLE)
    finally:
        await asyncio.to_thread(own_redis.start)

    assert dict(ada.stats.closes) == {4503: 1}


@pytest.mark.postgres
async def test_a_message_sent_while_the_database_is_unreachable_is_stored_once_after_recovery(
    tmp_path, database_behind_proxy, room_of_two
):
    """With PostgreSQL refusing connections a send is answered "unavailable" with its client_id
    on a socket that stays open; the client's resend after recovery is stored exactly once."""
    proxy, database_url = database_behind_proxy
    server = LiveServer(
        tmp_path,
        database_url=database_url,
        extra_env={**FAST_SENDING, "DATABASE_CONN_MAX_AGE": "0"},
    )
    with running(server):
        room = room_of_two(server)
        async with chatting(server, room) as (ada, grace):
            await ada.send("before the outage")
            await wait_until(lambda: len(grace.messages) == 1, within=SETTLE)

            proxy.outage()
            client_id = await ada.send("while the database is away")
            # Answered, then resent by the client and answered again.
            await wait_until(lambda: ada.stats.errors["unavailable"] >= 2, within=SETTLE)
            refusal = ada.error_frames[0]
            assert (refusal["code"], refusal["client_id"]) == ("unavailable", client_id)
            assert client_id in ada.outbox
            assert ada.ready.is_set()
            assert ada.stats.connects == 1  # the socket stayed open
            assert server.process.poll() is None
            # A second tab opened during the outage gets in once the database is back.
            late = member(server, room.slug, room.member_name, room.member, **FAST_RETRIES)
            async with late:
                await wait_until(
                    lambda: late.stats.connect_failures or late.stats.closes, within=SETTLE
                )
                proxy.recover()
                await settled([ada, grace, late])
                messages = await stored(room)

    assert [message["body"] for message in messages] == [
        "before the outage",
        "while the database is away",
    ]
    assert messages[1]["client_id"] == client_id
    assert_each_shown_once_in_order([ada, grace, late], messages)


async def test_a_resend_after_a_lost_acknowledgement_is_stored_and_shown_once(
    fast_server, room_of_two
):
    """The socket closes right after a send, its acknowledgement unread: the client reconnects
    and resends the same client_id, the server answers with the stored message, and there is
    one message, stored once and shown once."""
    room = room_of_two(fast_server)
    async with chatting(fast_server, room) as (ada, grace):
        ada.pause()
        client_id = await ada.send("did this arrive?")
        await ada.drop(graceful=True)
        # The other member's copy shows it was stored before the resend.
        await wait_until(lambda: len(grace.messages) == 1, within=SETTLE)
        assert ada.ack_frames[client_id] == 0
        assert client_id in ada.outbox

        ada.resume()
        await wait_until(lambda: ada.ack_frames[client_id] == 1, within=SETTLE)
        messages = await stored(room)

    assert ada.transmitted[client_id] == 2
    assert len(messages) == 1
    assert messages[0]["client_id"] == client_id
    assert ada.acknowledged == {client_id: messages[0]["id"]}
    assert_each_shown_once_in_order([ada, grace], messages)


async def test_a_member_away_for_more_than_the_socket_catch_up_fetches_the_rest_over_http(
    fast_server, room_of_two
):
    """Away while 520 messages were posted, a member reconnects: the socket sends the first 500
    with has_more, the history endpoint the rest, and messages posted meanwhile merge in."""
    room = room_of_two(fast_server)
    async with chatting(fast_server, room) as (ada, grace):
        grace.pause()
        await grace.drop()
        for n in range(520):
            await ada.send(f"while Grace is away {n}")
        await wait_until(lambda: not ada.outbox, within=SETTLE)
        grace.resume()
        for n in range(5):
            await ada.send(f"while Grace catches up {n}")
        await settled([ada, grace])
        messages = await stored(room)

    assert len(messages) == 525
    assert grace.stats.http_pages >= 1
    assert_each_shown_once_in_order([ada, grace], messages)


async def test_a_member_who_stops_reading_does_not_hold_up_the_others(fast_server, room_of_two):
    """One member's socket stops reading (small receive buffer, never calls recv) while another
    sends 200 messages: a third member gets each within a second or two of its acknowledgement,
    the server keeps answering, and the stalled member still gets everything once it reads."""
    room = room_of_two(fast_server)
    reader_name = f"reader-{room.slug[-8:]}"
    reader_http = await asyncio.to_thread(signup, fast_server.base_url, reader_name, PASSWORD)
    await asyncio.to_thread(join_room, reader_http, room.slug)
    sender = member(fast_server, room.slug, room.owner_name, room.owner)
    stalled = member(fast_server, room.slug, room.member_name, room.member, receive_buffer=4096)
    reader = member(fast_server, room.slug, reader_name, reader_http)
    count, body = 200, "x" * 2000  # about 400 kB, well past every socket buffer on the way

    async with sender, stalled, reader:
        clients = [sender, stalled, reader]
        await wait_until(lambda: all(client.ready.is_set() for client in clients), within=SETTLE)
        stalled.pause()
        for n in range(count):
            await sender.send(f"{n} {body}")
        await wait_until(lambda: len(reader.messages) == count, within=SETTLE)
        await wait_until(lambda: not sender.outbox, within=SETTLE)
        # Measured from each acknowledgement, so a busy machine does not count as a hold-up.
        lag = max(reader.arrived_at[id_] - sender.arrived_at[id_] for id_ in reader.seen)

        assert stalled.stats.frames["message.new"] == 0
        health = await asyncio.to_thread(reader_http.get, "/rooms/")
        assert health.status_code == 200
        newcomer = member(fast_server, room.slug, room.member_name, room.member)
        async with newcomer:
            await asyncio.wait_for(newcomer.ready.wait(), SETTLE)
        stalled.resume()
        await settled(clients)
        messages = await stored(room)
    reader_http.close()

    assert lag < 2
    assert len(newcomer.messages) == 50  # the latest page of history, promptly
    assert len(messages) == count
    assert_each_shown_once_in_order(clients, messages)
    assert fast_server.process.poll() is None
