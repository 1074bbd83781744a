"""Catch-up: ``clients`` members lose their sockets, miss messages, and reconnect at once.

The clients are ``chatclient.client.ChatClient``s, which behave like the room page: on reconnect
they ask for ``?after=<last id>`` and page through the history endpoint when the server has
more than one frame's worth. While they are away one poster per room sends ``missed``
messages; then every client reconnects in the same instant. Measured: the time until each
client shows every missed message, and whether any was lost or shown twice.
"""

import asyncio
import time
from typing import Any

import httpx

from bench.scenarios.common import percentiles, settle
from chatclient.client import ChatClient, wait_until

DEFAULTS = {"clients": 200, "missed": 100, "within": 120.0}


def chat_client(base_url: str, slug: str, user: dict) -> ChatClient:
    return ChatClient(
        base_url=base_url,
        slug=slug,
        username=user["username"],
        cookies=httpx.Cookies(user["cookies"]),
        # Reconnect at once: the herd arriving together is the point of the scenario.
        backoff_min=0.001,
        backoff_max=0.01,
    )


async def run(
    base_url: str, rooms: list[str], users: list[dict], options: dict, pids: dict
) -> dict[str, Any]:
    options = {**DEFAULTS, **options}
    count = options["clients"]
    clients = [
        chat_client(base_url, rooms[n % len(rooms)], users[(n // len(rooms)) % len(users)])
        for n in range(count)
    ]
    posters = {
        slug: chat_client(base_url, slug, users[-1]) for slug in rooms[: min(count, len(rooms))]
    }
    everyone = [*clients, *posters.values()]
    try:
        for client in everyone:
            client.start()
        await wait_until(
            lambda: all(c.ready.is_set() for c in everyone), within=60, what="clients connected"
        )
        for client in clients:
            client.pause()
            await client.drop()
        await settle(pids.get("server", []))
        for n in range(options["missed"]):
            for poster in posters.values():
                await poster.send(f"catch-up {n} while the others were away")
        await wait_until(
            lambda: all(not p.outbox for p in posters.values()),
            within=options["within"],
            what="missed messages acknowledged",
        )
        missed = {slug: set(p.acknowledged.values()) for slug, p in posters.items()}
        await settle(pids.get("server", []))
        caught_up_after: dict[int, float] = {}
        started = time.monotonic()
        for client in clients:
            client.resume()
        deadline = started + options["within"]
        while len(caught_up_after) < count and time.monotonic() < deadline:
            now = time.monotonic()
            for n, client in enumerate(clients):
                if n not in caught_up_after and missed[client.slug] <= client.seen.keys():
                    caught_up_after[n] = now - started
            await asyncio.sleep(0.005)
        elapsed = time.monotonic() - started
    finally:
        await asyncio.gather(*(client.stop() for client in everyone))
    lost = sum(len(missed[c.slug] - c.seen.keys()) for c in clients)
    delivered = sum(len(missed[c.slug] & c.seen.keys()) for c in clients)
    seconds_all = max(caught_up_after.values(), default=elapsed)
    return {
        "clients": count,
        "missed_per_client": options["missed"],
        "caught_up": len(caught_up_after),
        "seconds_all": round(seconds_all, 3),
        "catch_up_ms": percentiles(list(caught_up_after.values())),
        "messages_per_s": round(delivered / max(seconds_all, 1e-6), 1),
        "lost": lost,
        "duplicated": sum(c.duplicates for c in clients),
        "http_pages": sum(c.stats.http_pages for c in clients),
        "failed_connects": sum(c.stats.connect_failures.total() for c in clients),
        "problems": [problem for c in everyone for problem in c.problems][:10],
    }
