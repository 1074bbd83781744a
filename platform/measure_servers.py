"""Which ASGI server should run Parley's workers? Measure them on the same load.

Usage (needs the test tools: ``bin/setup test``)::

    .venv/bin/python platform/measure_servers.py [--servers daphne,uvicorn,uvicorn+deflate,granian]

Each server runs one worker with the exact command line ``platform/serve.py``
uses, on PostgreSQL and Redis as in the scale-out topology, and gets:

1. HTTP from 16 keep-alive connections for a few seconds, requests per second
   and p99: ``GET /`` (a Django page, no database) and ``GET /healthz`` (a
   PostgreSQL connection and query, and a channel-layer round trip).
2. Fan-out: 50 sockets in one room, 5 of them sending 10 messages each, every
   sender waiting for its acknowledgement before the next. Each message reaches
   the 49 other sockets: deliveries per second, send-to-delivery p50 and p99, lost.
3. Memory: RSS growth of the worker (and its children) per idle authenticated
   socket, over 100 sockets opened after 10 warm-up ones (measured before 2).
4. SIGTERM with the 50 sockets open: the close code the clients get, and how long
   the process takes to exit.

The load generator is this process (asyncio on uvloop), on the same 2-core
machine as the server, PostgreSQL and Redis: compare the rows, not the absolute
numbers. Every server is measured ``--rounds`` times (default 2), round after
round, and each figure keeps its best round: load from other processes only ever
makes a figure worse. Prints a Markdown table; the run takes under two minutes.
"""

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

import httpx
import uvloop
import websockets
from serve import DEFAULTS, REPO_ROOT, worker_command

# platform/ is not a package (it would shadow the standard library's ``platform``), so the
# repository's own client code comes from the root, after everything else on the path.
sys.path.append(str(REPO_ROOT))
from chatclient.client import cookie_header, create_room, join_room, signup
from chatclient.server import (
    database_drop,
    database_recreate,
    redis_flush,
    sending_limits,
)

DATABASE = "parley_measure"
REDIS_URL = "redis://127.0.0.1:6379/11?socket_timeout=10"  # as platform/serve runs them
PORT = 18990
PASSWORD = "measure-horse-battery"  # noqa: S105 (throwaway users in a throwaway database)
VARIANTS = {
    "daphne": ("daphne", []),
    "uvicorn": ("uvicorn", []),
    # The same uvicorn with permessage-deflate on (its default): what the flag costs.
    "uvicorn+deflate": ("uvicorn", ["--ws-per-message-deflate", "true"]),
    "granian": ("granian", []),
}


@dataclass
class Result:
    name: str
    page_rps: float = 0.0
    page_p99_ms: float = 0.0
    health_rps: float = 0.0
    health_p99_ms: float = 0.0
    kib_per_idle_socket: float = 0.0
    deliveries_per_s: float = 0.0
    fanout_p50_ms: float = 0.0
    fanout_p99_ms: float = 0.0
    lost: int = 0
    sigterm_close_codes: list[int] = field(default_factory=list)
    exit_seconds: float = 0.0


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SQLITE_PATH"}}
    max_age = DEFAULTS["DATABASE_CONN_MAX_AGE"]  # as platform/serve runs the workers
    env.update(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        REDIS_URL=REDIS_URL,
        DEBUG="true",
        DATABASE_CONN_MAX_AGE=os.environ.get("DATABASE_CONN_MAX_AGE", max_age),
        DJANGO_SETTINGS_MODULE="config.settings",
        LOG_LEVEL="WARNING",
        # The load, not the flood guards, is what is measured.
        **sending_limits(burst=1_000_000),
        PARLEY_MAX_SOCKETS_PER_USER="1000",
    )
    return env


def expect(condition: object, problem: object) -> None:
    if not condition:
        raise RuntimeError(problem)


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and its children (granian serves from a child process)."""
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            total += int(line.split()[1])
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            total += tree_rss_kib(int(child))
    return total


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- HTTP ----------------------------------------------------------------------


async def http_get_loop(port: int, path: str, deadline: float, latencies: list[float]) -> None:
    """One keep-alive connection sending GETs back to back (the response must have a length)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            expect(head.startswith(b"HTTP/1.1 200"), head[:200])
            length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
            expect(length, f"no Content-Length in {head!r}")
            await reader.readexactly(int(length.group(1)))
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def measure_http(port: int, path: str, *, seconds: float) -> tuple[float, float]:
    """Requests per second and p99 in ms of ``GET path`` from 16 keep-alive connections."""
    latencies: list[float] = []
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(http_get_loop(port, path, deadline, latencies) for _ in range(16)))
    return len(latencies) / (time.perf_counter() - started), percentile(latencies, 0.99) * 1000


# --- Websockets ----------------------------------------------------------------


def room_with_members(base_url: str) -> tuple[str, list[str]]:
    """A room with two members; returns its slug and each member's Cookie header."""
    tag = uuid4().hex[:8]
    owner = signup(base_url, f"m-{tag}-a", PASSWORD)
    member = signup(base_url, f"m-{tag}-b", PASSWORD)
    slug = create_room(owner, f"Measure {tag}")
    join_room(member, slug)
    cookies = [cookie_header(client) for client in (owner, member)]
    owner.close()
    member.close()
    return slug, cookies


@dataclass
class Client:
    socket: websockets.ClientConnection
    expected: int  # broadcasts from other sockets this one should receive
    complete: asyncio.Event = field(default_factory=asyncio.Event)
    latencies: list[float] = field(default_factory=list)
    received: int = 0
    acks: dict[str, asyncio.Future] = field(default_factory=dict)
    close_code: int | None = None

    async def read(self) -> None:
        try:
            async for text in self.socket:
                frame = json.loads(text)
                if frame["type"] != "message.new":
                    continue
                message = frame["message"]
                ack = self.acks.pop(message["client_id"], None)
                if ack is not None:
                    ack.set_result(None)
                    continue
                sent_at = float(message["body"].split(":")[1])
                self.latencies.append(time.perf_counter() - sent_at)
                self.received += 1
                if self.received == self.expected:
                    self.complete.set()
        except websockets.ConnectionClosed:
            pass
        self.close_code = self.socket.close_code  # 1006 when the TCP connection just ended

    async def send(self, count: int) -> None:
        for n in range(count):
            client_id = uuid4().hex
            self.acks[client_id] = asyncio.get_running_loop().create_future()
            body = f"{n}:{time.perf_counter():.9f}"
            await self.socket.send(
                json.dumps({"type": "message.send", "body": body, "client_id": client_id})
            )
            await asyncio.wait_for(self.acks[client_id], timeout=10)


async def open_client(port: int, slug: str, cookie: str, expected: int) -> Client:
    socket = await websockets.connect(
        f"ws://127.0.0.1:{port}/ws/rooms/{slug}/",
        additional_headers={"Origin": f"http://127.0.0.1:{port}", "Cookie": cookie},
        open_timeout=10,
        max_queue=None,
    )
    expect(json.loads(await socket.recv())["type"] == "history", "no history frame")
    return Client(socket, expected)


async def measure_fanout_and_stop(
    port: int,
    process: subprocess.Popen,
    result: Result,
    *,
    sockets: int,
    senders: int,
    messages: int,
    idle_sockets: int,
) -> None:
    slug, cookies = await asyncio.to_thread(room_with_members, f"http://127.0.0.1:{port}")
    # The first sockets grow allocator arenas and caches once: count only the ones after.
    warm = [await open_client(port, slug, cookies[n % 2], 0) for n in range(10)]
    before = tree_rss_kib(process.pid)
    idle = []
    for first in range(0, idle_sockets, 25):  # in batches, within every server's listen backlog
        batch = range(first, min(first + 25, idle_sockets))
        idle += await asyncio.gather(*(open_client(port, slug, cookies[n % 2], 0) for n in batch))
    await asyncio.sleep(0.5)
    result.kib_per_idle_socket = (tree_rss_kib(process.pid) - before) / idle_sockets
    await asyncio.gather(*(client.socket.close() for client in [*warm, *idle]))

    clients = await asyncio.gather(
        *(
            open_client(port, slug, cookies[n % 2], (senders - (n < senders)) * messages)
            for n in range(sockets)
        )
    )
    readers = [asyncio.create_task(client.read()) for client in clients]
    expected = senders * messages * (sockets - 1)
    started = time.perf_counter()
    await asyncio.gather(*(client.send(messages) for client in clients[:senders]))
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(10):
            await asyncio.gather(*(client.complete.wait() for client in clients))
    elapsed = time.perf_counter() - started
    latencies = [latency for client in clients for latency in client.latencies]
    result.deliveries_per_s = len(latencies) / elapsed
    result.fanout_p50_ms = percentile(latencies, 0.5) * 1000
    result.fanout_p99_ms = percentile(latencies, 0.99) * 1000
    result.lost = expected - len(latencies)

    stopping = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    await asyncio.to_thread(process.wait, 20)
    result.exit_seconds = time.perf_counter() - stopping
    await asyncio.wait(readers, timeout=5)
    result.sigterm_close_codes = sorted({client.close_code or 0 for client in clients})
    for client in clients:
        await client.socket.close()


# --- Driver --------------------------------------------------------------------


def start(name: str, env: dict[str, str], log: Path) -> subprocess.Popen:
    server, extra = VARIANTS[name]
    command = worker_command(server, PORT)
    if extra:
        option = command.index(extra[0])
        command[option : option + 2] = extra
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 (serve.py's own command lines)
            command, cwd=REPO_ROOT, env=env, stdout=output, stderr=output
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited early; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{name} did not answer /healthz; see {log}")


def measure(name: str, env: dict[str, str], args: argparse.Namespace, log: Path) -> Result:
    redis_flush(REDIS_URL)
    result = Result(name)
    process = start(name, env, log)
    try:
        result.page_rps, result.page_p99_ms = uvloop.run(
            measure_http(PORT, "/", seconds=args.http_seconds)
        )
        result.health_rps, result.health_p99_ms = uvloop.run(
            measure_http(PORT, "/healthz", seconds=args.http_seconds)
        )
        uvloop.run(
            measure_fanout_and_stop(
                PORT,
                process,
                result,
                sockets=args.sockets,
                senders=args.senders,
                messages=args.messages,
                idle_sockets=args.idle_sockets,
            )
        )
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return result


def best_of(results: list[Result]) -> Result:
    """Other work on the machine only ever slows a round down: keep each figure's best."""
    return Result(
        results[0].name,
        page_rps=max(r.page_rps for r in results),
        page_p99_ms=min(r.page_p99_ms for r in results),
        health_rps=max(r.health_rps for r in results),
        health_p99_ms=min(r.health_p99_ms for r in results),
        kib_per_idle_socket=min(r.kib_per_idle_socket for r in results),
        deliveries_per_s=max(r.deliveries_per_s for r in results),
        fanout_p50_ms=min(r.fanout_p50_ms for r in results),
        fanout_p99_ms=min(r.fanout_p99_ms for r in results),
        lost=max(r.lost for r in results),
        sigterm_close_codes=sorted({code for r in results for code in r.sigterm_close_codes}),
        exit_seconds=max(r.exit_seconds for r in results),
    )


def table(results: list[Result]) -> str:
    lines = [
        "| server | `/` req/s | `/` p99 ms | `/healthz` req/s | `/healthz` p99 ms "
        "| KiB per idle socket | deliveries/s | fan-out p50 ms | fan-out p99 ms | lost "
        "| close code on SIGTERM | exit s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in results:
        codes = ", ".join("none" if code == 0 else str(code) for code in r.sigterm_close_codes)
        lines.append(
            f"| {r.name} | {r.page_rps:,.0f} | {r.page_p99_ms:.1f} "
            f"| {r.health_rps:,.0f} | {r.health_p99_ms:.1f} | {r.kib_per_idle_socket:.0f} "
            f"| {r.deliveries_per_s:,.0f} | {r.fanout_p50_ms:.1f} | {r.fanout_p99_ms:.1f} "
            f"| {r.lost} | {codes} | {r.exit_seconds:.1f} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--servers",
        default="daphne,uvicorn,granian",
        help=f"comma-separated, of: {', '.join(VARIANTS)} (default: the three servers)",
    )
    parser.add_argument("--http-seconds", type=float, default=1.5)
    parser.add_argument("--sockets", type=int, default=50)
    parser.add_argument("--senders", type=int, default=5)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--idle-sockets", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    names = args.servers.split(",")
    unknown = set(names) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")

    env = environment()
    log = Path(f"/tmp/parley-measure-{os.getpid()}.log")  # noqa: S108 (a log, not a secret)
    database_recreate(DATABASE)
    rounds: dict[str, list[Result]] = {name: [] for name in names}
    try:
        migrate = [sys.executable, "manage.py", "migrate", "--noinput", "--verbosity", "0"]
        subprocess.run(migrate, cwd=REPO_ROOT, env=env, check=True)  # noqa: S603
        # Round after round over every server, so a noisy moment hurts them alike.
        for number in range(1, args.rounds + 1):
            for name in names:
                print(f"round {number}: {name} ...", file=sys.stderr, flush=True)
                rounds[name].append(measure(name, env, args, log))
    finally:
        database_drop(DATABASE)
        redis_flush(REDIS_URL)
    print(
        f"cpus: {os.cpu_count()}; python {sys.version.split()[0]}; "
        f"best of {args.rounds} round(s); server logs: {log}"
    )
    print(table([best_of(results) for results in rounds.values()]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
