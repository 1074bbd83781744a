"""Idle connections: K authenticated sockets that only stay open; what they cost the server.

The server's resident memory (VmRSS of each of its processes) is read when it is quiet before
the sockets open and again once they are all open and the server is quiet again; the
difference divided by K is the memory per connection. Parley's sockets count as open once
the history frame has arrived, so each one was authenticated and checked for membership.

``rooms="own"`` (the default) puts each user's sockets in a room of their own, so the
scenario measures what a socket costs at rest; ``"shared"`` spreads them over the fan-out
rooms, where every user's arrival is also announced to everyone already there.
``concurrency`` handshakes are in flight at a time; sockets not open by ``deadline``
seconds are not attempted (counted under ``failures``).
"""

import asyncio
import os
import time
from collections import Counter
from typing import Any

from websockets.asyncio.client import ClientConnection

from bench.scenarios.common import Wire, close_all, family, percentiles, rss_kib, settle

DEFAULTS = {"sockets": 5000, "concurrency": 25, "hold": 1.0, "rooms": "own", "deadline": 300.0}


def open_files(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def snapshot(pids: list[int]) -> dict[str, dict[str, int]]:
    return {str(pid): {"rss_kib": rss_kib(pid), "open_files": open_files(pid)} for pid in pids}


async def run(
    wire: Wire, rooms: list[str], own_rooms: list[str], users: list[dict], options: dict, pids: dict
) -> dict:
    options = {**DEFAULTS, **options}
    count = options["sockets"]
    deadline = time.monotonic() + options["deadline"]
    server = pids.get("server", [])
    proxy = sorted(family(pids.get("proxy", [])))  # nginx and its worker processes
    gate = asyncio.Semaphore(options["concurrency"])
    failures: Counter[str] = Counter()
    handshakes: list[float] = []

    def place(n: int) -> tuple[str, dict]:
        if options["rooms"] == "own":
            return own_rooms[n % len(users)], users[n % len(users)]
        return rooms[n % len(rooms)], users[(n // len(rooms)) % len(users)]

    async def connect(n: int) -> ClientConnection | None:
        room, user = place(n)
        async with gate:
            started = time.monotonic()
            if started > deadline:
                failures["not attempted: deadline"] += 1
                return None
            try:
                ws = await wire.connect(room, user["cookies"])
            except Exception as error:  # every failure is counted, none stops the run
                failures[type(error).__name__] += 1
                return None
            handshakes.append(time.monotonic() - started)
            return ws

    # A few sockets first: the server's first connection imports and caches things.
    await close_all([ws for ws in await asyncio.gather(*map(connect, range(10))) if ws])
    handshakes.clear()
    await settle(server)
    before = snapshot(server)
    proxy_before = sum(rss_kib(pid) for pid in proxy)
    started = time.monotonic()
    sockets = [ws for ws in await asyncio.gather(*map(connect, range(count))) if ws]
    connect_seconds = time.monotonic() - started
    await settle(server)
    await asyncio.sleep(options["hold"])
    after = snapshot(server)
    proxy_after = sum(rss_kib(pid) for pid in proxy)
    still_open = sum(1 for ws in sockets if ws.close_code is None)
    await close_all(sockets)
    settled = await settle(server)
    grown = sum(p["rss_kib"] for p in after.values()) - sum(p["rss_kib"] for p in before.values())
    result: dict[str, Any] = {
        "sockets": count,
        "rooms": options["rooms"],
        "opened": len(sockets),
        "open_at_end": still_open,
        "failures": dict(failures),
        "connect_seconds": round(connect_seconds, 2),
        "connects_per_s": round(len(sockets) / max(connect_seconds, 1e-6), 1),
        "handshake_ms": percentiles(handshakes),
        "rss_before_kib": sum(p["rss_kib"] for p in before.values()),
        "rss_after_kib": sum(p["rss_kib"] for p in after.values()),
        "kib_per_connection": round(grown / max(len(sockets), 1), 2),
        "processes": {"before": before, "after": after},
        "close_settle_seconds": settled,
    }
    if proxy:
        result["proxy_kib_per_connection"] = round(
            (proxy_after - proxy_before) / max(len(sockets), 1), 2
        )
    return result
