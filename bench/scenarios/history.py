"""History: ``GET /rooms/<slug>/messages/`` on a room of many messages, as fast as it answers.

``concurrency`` members ask in a closed loop for ``seconds``: half the requests for the
latest page (what a page opens with), half for the page before a random id (scrolling back
anywhere in the room). Only 200 answers with a full page count as successes.
"""

import asyncio
import random
import time
from collections import Counter
from typing import Any

import httpx

from bench.scenarios.common import percentiles

DEFAULTS = {"concurrency": 8, "seconds": 10.0, "warmup": 1.0}
PAGE = 50


async def run(base_url: str, room: dict, users: list[dict], options: dict) -> dict[str, Any]:
    options = {**DEFAULTS, **options}
    first, last = room["first_id"], room["last_id"]
    rng = random.Random(11)  # noqa: S311 - which page to ask for, not a secret
    latencies: dict[str, list[float]] = {"latest": [], "before": []}
    statuses: Counter[str] = Counter()
    short_pages = 0
    measuring = False

    async def member(client: httpx.AsyncClient, until: float) -> None:
        nonlocal short_pages
        while time.monotonic() < until:
            kind = "latest" if rng.random() < 0.5 else "before"
            params = {} if kind == "latest" else {"before": rng.randint(first + PAGE, last)}
            started = time.monotonic()
            try:
                response = await client.get(f"/rooms/{room['slug']}/messages/", params=params)
            except httpx.HTTPError as error:
                statuses[type(error).__name__] += 1
                continue
            elapsed = time.monotonic() - started
            if not measuring:
                continue
            statuses[str(response.status_code)] += 1
            if response.status_code == 200:
                if len(response.json()["messages"]) != PAGE:
                    short_pages += 1
                latencies[kind].append(elapsed)

    clients = [
        httpx.AsyncClient(
            base_url=base_url,
            cookies=users[n % len(users)]["cookies"],
            timeout=30,
            trust_env=False,
            limits=httpx.Limits(max_connections=1),
        )
        for n in range(options["concurrency"])
    ]
    try:
        warm_until = time.monotonic() + options["warmup"]
        await asyncio.gather(*(member(client, warm_until) for client in clients))
        measuring = True
        started = time.monotonic()
        until = started + options["seconds"]
        await asyncio.gather(*(member(client, until) for client in clients))
        elapsed = time.monotonic() - started
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))
    every = latencies["latest"] + latencies["before"]
    return {
        "messages_in_room": room["count"],
        "concurrency": options["concurrency"],
        "seconds": round(elapsed, 2),
        "requests": len(every),
        "requests_per_s": round(len(every) / elapsed, 1),
        "latency_ms": percentiles(every),
        "latest_ms": percentiles(latencies["latest"]),
        "before_ms": percentiles(latencies["before"]),
        "statuses": dict(statuses),
        "errors": sum(n for status, n in statuses.items() if status != "200"),
        "short_pages": short_pages,
    }
