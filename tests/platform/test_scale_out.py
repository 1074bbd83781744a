"""Parley on two uvicorn workers behind nginx, sharing PostgreSQL and Redis (platform/serve)."""

import asyncio
import os
import signal
import time

import httpx
import pytest

from chatclient.client import wait_until
from chatclient.server import REPO_ROOT
from tests.support.platform import (
    ReconnectingClient,
    port_open,
    room_socket,
    topology_start,
)
from tests.support.wire import next_frame, send_message

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis]


async def exchange_both_ways(ada_url: str, grace_url: str, room) -> None:
    """Each member sends once; both sockets receive both messages, identically."""
    async with (
        room_socket(ada_url, room.slug, room.cookies[0]) as ada,
        room_socket(grace_url, room.slug, room.cookies[1]) as grace,
    ):
        await next_frame(ada, "history")
        await next_frame(grace, "history")
        for sender, body in ((ada, "from Ada"), (grace, "from Grace")):
            client_id = await send_message(sender, body)
            seen = [(await next_frame(socket, "message.new"))["message"] for socket in (ada, grace)]
            assert seen[0] == seen[1]
            assert (seen[0]["body"], seen[0]["client_id"]) == (body, client_id)


def caught_up(clients: list[ReconnectingClient]) -> bool:
    """Every message is acknowledged, and every client has seen every acknowledged message."""
    acknowledged = {mid for client in clients for mid in client.acknowledged.values()}
    return not any(client.outbox for client in clients) and all(
        acknowledged <= set(client.seen) for client in clients
    )


def describe(clients: list[ReconnectingClient]) -> str:
    acknowledged = {mid for client in clients for mid in client.acknowledged.values()}
    return "\n".join(
        f"client {n}: {len(client.outbox)} unacknowledged, missing "
        f"{sorted(acknowledged - set(client.seen))}, closed with {client.close_codes}"
        for n, client in enumerate(clients)
    )


async def test_members_on_two_worker_processes_see_each_others_messages(topology, room_of_two):
    """Connected straight to worker 1 and worker 2, each member sees the other's message live."""
    room = room_of_two(topology.base_url)

    await exchange_both_ways(topology.worker_url(1), topology.worker_url(2), room)


async def test_members_connected_through_nginx_see_each_others_messages(topology, room_of_two):
    """Both through the proxy's one port, wherever nginx's least_conn places the two sockets."""
    room = room_of_two(topology.base_url)

    await exchange_both_ways(topology.base_url, topology.base_url, room)

    assert [m["body"] for m in room.stored_messages()] == ["from Ada", "from Grace"]


def test_nginx_serves_collected_static_files_and_proxies_healthz(topology):
    """Static files come from the collectstatic folder, not a worker; /healthz reaches a worker."""
    stylesheet = httpx.get(f"{topology.base_url}/static/css/parley.css")
    health = httpx.get(f"{topology.base_url}/healthz")

    assert stylesheet.status_code == 200
    assert stylesheet.content == (REPO_ROOT / "static" / "css" / "parley.css").read_bytes()
    assert "Content-Security-Policy" not in stylesheet.headers  # no Django middleware on the way
    assert "max-age=3600" in stylesheet.headers["Cache-Control"]
    assert (health.status_code, health.json()) == (200, {"status": "ok"})


async def test_a_worker_stopped_with_sigterm_loses_no_acknowledged_message(topology, room_of_two):
    """Its sockets close with 1012, reconnect through nginx with ?after=, and resend their outbox.

    Every client ends with exactly the stored messages, and each message is stored once.
    """
    room = room_of_two(topology.base_url)
    clients = [
        ReconnectingClient(topology.base_url, room.slug, room.cookies[n % 2]) for n in range(4)
    ]
    for client in clients:
        await client.connect()  # one after another: least_conn alternates the two workers
    readers = [asyncio.create_task(client.run()) for client in clients]

    async def chatter(client: ReconnectingClient, number: int) -> None:
        for n in range(15):
            await client.send(f"client {number} message {n}")
            await asyncio.sleep(0.05)

    senders = [asyncio.create_task(chatter(client, n)) for n, client in enumerate(clients)]
    # The worker goes down mid-conversation: once every client has had a message stored.
    await wait_until(
        lambda: all(client.acknowledged for client in clients),
        within=10,
        what=lambda: describe(clients),
    )
    os.kill(topology.worker_pid(1), signal.SIGTERM)
    await asyncio.gather(*senders)
    await wait_until(lambda: caught_up(clients), within=20, what=lambda: describe(clients))
    for client in clients:
        await client.close()
    await asyncio.gather(*readers)

    stored = room.stored_messages()
    stored_ids = {message["id"] for message in stored}
    acknowledged = {cid: mid for client in clients for cid, mid in client.acknowledged.items()}
    assert len(acknowledged) == 4 * 15
    assert sorted(message["client_id"] for message in stored) == sorted(acknowledged)
    assert stored_ids == set(acknowledged.values())
    for client in clients:
        assert set(client.seen) == stored_ids
        assert client.errors == []
    close_codes = [code for client in clients for code in client.close_codes]
    assert close_codes, "no socket was on the stopped worker"
    assert set(close_codes) == {1012}


def test_serve_starts_again_a_task_worker_that_was_killed(topology):
    """SIGKILL leaves a worker no chance to say goodbye: serve starts another, which beats,
    so the workers' /healthz, which expects one (PARLEY_TASK_WORKERS), stays 200."""
    [killed] = topology.task_worker_pids(1)
    os.kill(killed, signal.SIGKILL)

    deadline = time.monotonic() + 10
    while len(topology.task_worker_pids(1)) < 2:
        assert time.monotonic() < deadline, topology.log()[-4000:]
        time.sleep(0.1)
    # The test before stopped web worker 1, and serve may still be starting it again.
    deadline = time.monotonic() + 30
    while True:
        try:
            health = httpx.get(f"{topology.worker_url(1)}/healthz")
            break
        except httpx.ConnectError:
            assert time.monotonic() < deadline, topology.log()[-4000:]
            time.sleep(0.2)

    assert "task worker 1 stopped by SIGKILL; starting it again" in topology.log()
    assert (health.status_code, health.json()) == (200, {"status": "ok"})


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_serve_stops_nginx_and_its_workers_on_sigterm(
    platform_backends, tmp_path, room_of_two
):
    """An open socket is closed with 1012 through nginx, serve exits 0, and no port stays open."""
    topology = topology_start(tmp_path, workers=1)
    try:
        room = room_of_two(topology.base_url)
        async with room_socket(topology.base_url, room.slug, room.cookies[0]) as socket:
            await next_frame(socket, "history")
            topology.process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(15):
                await socket.wait_closed()
            close_code = socket.close_code
        exit_code = await asyncio.to_thread(topology.process.wait, 30)
    finally:
        topology.stop()

    assert close_code == 1012
    assert exit_code == 0
    assert not port_open(topology.port)
    assert not port_open(topology.port + 1)
    assert "[serve] stopped" in topology.log()
    [task_worker] = topology.task_worker_pids(1)
    assert not process_exists(task_worker)
