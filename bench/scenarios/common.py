"""What every scenario needs: how each server speaks, sockets, and /proc readings."""

import asyncio
import contextlib
import json
import os
import re
import secrets
import time
from dataclasses import dataclass

import websockets
from websockets.asyncio.client import ClientConnection

# Every benchmark message carries its key in the body, so any server's frame can be matched.
TOKEN = re.compile(r"bench:(\d+):")
PADDING = "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor"
# Parley stores a client_id once per author and room: each load generator run needs its own.
RUN = secrets.token_hex(4)
OPEN_TIMEOUT = 30.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def body_for(key: int) -> str:
    return f"bench:{key}: {PADDING}"


PING = json.dumps({"type": "ping"})
PONG = json.dumps({"type": "pong"})


@dataclass(frozen=True)
class Wire:
    """How one server under test is spoken to: URLs, the send frame, what counts as a delivery."""

    server: str  # parley, tutorial or bare
    http_base: str

    @property
    def ws_base(self) -> str:
        return self.http_base.replace("http://", "ws://", 1)

    def url(self, room: str, query: str = "") -> str:
        if self.server == "parley":
            return f"{self.ws_base}/ws/rooms/{room}/{query}"
        if self.server == "tutorial":
            return f"{self.ws_base}/ws/chat/{room}/"
        return f"{self.ws_base}/{room}"

    def send_frame(self, key: int) -> str:
        if self.server == "parley":
            return json.dumps(
                {"type": "message.send", "body": body_for(key), "client_id": f"bench-{RUN}-{key}"}
            )
        if self.server == "tutorial":
            return json.dumps({"message": body_for(key)})
        return body_for(key)

    def is_message(self, text: str) -> bool:
        # Parley also sends the history, presence and error frames; only message.new counts.
        return self.server != "parley" or text.startswith('{"type": "message.new"')

    def is_error(self, text: str) -> bool:
        return self.server == "parley" and text.startswith('{"type": "error"')

    def is_ping(self, text: str) -> bool:
        # Unanswered, Parley closes the socket with 4408 after two ping intervals.
        return self.server == "parley" and text == PING

    async def connect(
        self, room: str, cookies: dict[str, str], query: str = ""
    ) -> ClientConnection:
        """An open socket, past Parley's history frame (the socket is usable from then on)."""
        headers = {"Origin": self.http_base}
        if cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
        ws = await websockets.connect(
            self.url(room, query),
            additional_headers=headers,
            compression=None,  # none of the servers compresses: compare like with like
            open_timeout=OPEN_TIMEOUT,
            close_timeout=5,
            max_size=2**24,
            max_queue=1024,
            proxy=None,
        )
        if self.server == "parley":
            try:
                async with asyncio.timeout(OPEN_TIMEOUT):
                    first = await ws.recv()
            except BaseException:
                ws.transport.abort()
                raise
            if not first.startswith('{"type": "history"'):
                ws.transport.abort()
                raise ConnectionError(f"expected the history frame, got {first[:200]!r}")
        return ws


async def close_all(sockets: list[ClientConnection], concurrency: int = 200) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def close(ws: ClientConnection) -> None:
        async with gate:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5):
                    await ws.close()
            ws.transport.abort()

    await asyncio.gather(*(close(ws) for ws in sockets))


def percentiles(values: list[float], scale: float = 1000.0) -> dict[str, float | None]:
    """p50, p95, p99 and max of ``values`` (seconds), in milliseconds by default."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * scale, 2)

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": rank(1.0)}


# ---------------------------------------------------------------------------
# /proc readings of the server processes (the load generator runs on the same machine)
# ---------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` in KiB (VmRSS); 0 when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (field 3 onwards)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return []


def family(pids: list[int]) -> set[int]:
    """``pids`` and all their descendants (PostgreSQL forks a backend per connection)."""
    found, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid in found:
            continue
        found.add(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            with (
                contextlib.suppress(OSError, ValueError),
                open(f"/proc/{pid}/task/{task}/children") as children,
            ):
                todo += [int(child) for child in children.read().split()]
    return found


def cpu_seconds(pids: list[int]) -> float:
    """CPU time used so far by ``pids`` and their descendants, ended ones included.

    A process's own user and system time, plus that of its children it has reaped: a
    short-lived child counts whether it is still running (found by ``family``) or not.
    """
    total = 0
    for pid in family(pids):
        fields = _stat(pid)
        if fields:
            total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / CLOCK_TICKS


def pids_named(*names: str) -> list[int]:
    """The eldest processes whose command name is one of ``names`` (not their children).

    For the shared Redis and PostgreSQL; ``cpu_seconds`` then follows their children.
    """
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as comm:
                    if comm.read().strip() in names:
                        found.append(int(entry))
            except OSError:
                continue
    named = set(found)
    return [pid for pid in found if _stat(pid) and int(_stat(pid)[1]) not in named]


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy so far (every process, ours and others')."""
    with open("/proc/stat") as stat:
        ticks = [int(value) for value in stat.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / CLOCK_TICKS  # minus idle and iowait


class CpuMeter:
    """CPU used by groups of processes, by this process and by the machine, over an interval."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.start()

    def start(self) -> None:
        self.wall = time.monotonic()
        self.own = time.process_time()
        self.used = {name: cpu_seconds(pids) for name, pids in self.groups.items()}
        self.machine = machine_busy_seconds()

    def read(self) -> dict[str, float]:
        """Cores used on average since ``start()`` (1.0 is one core busy the whole time)."""
        wall = max(1e-6, time.monotonic() - self.wall)
        cores = {
            name: round((cpu_seconds(pids) - self.used[name]) / wall, 2)
            for name, pids in self.groups.items()
        }
        cores["load_generator"] = round((time.process_time() - self.own) / wall, 2)
        ours = sum(cores.values())
        machine = (machine_busy_seconds() - self.machine) / wall
        cores["machine"] = round(machine, 2)
        # Whatever else ran meanwhile (other users of the machine): noise in the figures.
        cores["others"] = round(max(0.0, machine - ours), 2)
        return cores


async def settle(pids: list[int], *, quiet: float = 0.15, within: float = 30.0) -> float:
    """Wait until ``pids`` use under ``quiet`` of a core for half a second; the time waited."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        before = cpu_seconds(pids)
        await asyncio.sleep(0.5)
        if (cpu_seconds(pids) - before) / 0.5 < quiet:
            break
    return round(time.monotonic() - started, 2)


async def quiet(cores: float, *, within: float) -> float:
    """Wait until the whole machine uses under ``cores`` for a second; the time waited."""
    started = time.monotonic()
    calm = 0
    while calm < 2 and time.monotonic() - started < within:
        before = machine_busy_seconds()
        await asyncio.sleep(0.5)
        calm = calm + 1 if (machine_busy_seconds() - before) / 0.5 < cores else 0
    return round(time.monotonic() - started, 2)
