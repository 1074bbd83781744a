"""Soak test: many members chatting and losing their sockets, every message checked.

    python -m bench.soak --clients 200 --rooms 4 --minutes 2 [--url http://127.0.0.1:PORT]

Without ``--url`` it starts its own daphne on a free port with a temporary SQLite database and
the rate limit raised. Each client is its own user, signed up through the real form, and a
member of one room. Each sends at random intervals and drops its socket at random; after the
traffic stops and a drain period, every member of a room must show every acknowledged message
of that room exactly once. The exit status is 1 when a message is lost or duplicated.
"""

import argparse
import asyncio
import contextlib
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from chatclient.client import (
    ChatClient,
    create_room,
    join_room,
    signup,
    stored_messages,
    wait_until,
)
from chatclient.server import LiveServer, sending_limits

SIGNUP_CONCURRENCY = 8  # the server runs sync views one at a time; this only hides latency
# allauth allows 20 sign-ups a minute per IP: users arrive from their own loopback addresses.
SIGNUPS_PER_ADDRESS = 15
OWN_SERVER_ENV = sending_limits(burst=1000, rate=100)


@dataclass(frozen=True)
class SoakOptions:
    clients: int = 200
    rooms: int = 4
    seconds: float = 120.0
    url: str | None = None
    interval: float = 20.0  # mean seconds between one client's messages: 50 members, 2.5/s
    reconnect_every: float = 30.0  # mean seconds between one client's dropped sockets
    drain: float = 30.0  # at most this long for resends and catch-ups after the traffic
    page_cursor: bool = False  # catch up as the page does (counting its own acknowledgements)
    seed: int | None = None


@dataclass
class SoakReport:
    options: SoakOptions
    url: str = ""
    sent: int = 0
    transmissions: int = 0
    resends: int = 0
    acknowledged: int = 0
    refused: int = 0
    unacknowledged: int = 0
    expected_deliveries: int = 0
    delivered: int = 0
    duplicated: int = 0
    stored: int = 0
    missing_from_store: int = 0
    reconnects: int = 0
    drops: int = 0
    failed_connects: int = 0
    overlaps: int = 0
    http_pages: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    closes: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    gaps: int = 0  # lost deliveries below the member's cursor: a hole in the live stream
    lost_examples: list[str] = field(default_factory=list)
    traffic_seconds: float = 0.0
    drain_seconds: float = 0.0

    @property
    def lost(self) -> int:
        return self.expected_deliveries - self.delivered + self.missing_from_store

    @property
    def ok(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and not self.problems

    def summary(self) -> str:
        options = self.options
        latency = "n/a"
        if len(self.latencies) >= 2:
            cuts = statistics.quantiles(self.latencies, n=100)
            latency = (
                f"p50 {cuts[49] * 1000:.0f} ms, p95 {cuts[94] * 1000:.0f} ms, "
                f"max {max(self.latencies) * 1000:.0f} ms"
            )
        rows = [
            (
                "messages sent",
                f"{self.sent}",
                f"frames {self.transmissions}, resent {self.resends}",
            ),
            ("acknowledged", f"{self.acknowledged}", f"stored {self.stored}"),
            ("refused / unacked", f"{self.refused} / {self.unacknowledged}", ""),
            ("deliveries expected", f"{self.expected_deliveries}", "acknowledged x room members"),
            ("deliveries actual", f"{self.delivered}", ""),
            (
                "lost",
                f"{self.lost}",
                f"holes behind the cursor {self.gaps}, not stored {self.missing_from_store}",
            ),
            ("duplicated", f"{self.duplicated}", ""),
            (
                "reconnects",
                f"{self.reconnects}",
                f"dropped on purpose {self.drops}, failed handshakes {self.failed_connects}",
            ),
            (
                "overlapping copies",
                f"{self.overlaps}",
                f"merged by id; HTTP pages {self.http_pages}",
            ),
            ("error frames", f"{dict(self.errors)}", ""),
            ("close codes", f"{dict(self.closes)}", ""),
            ("send -> shown", latency, "every member, catch-ups included"),
            ("problems", f"{len(self.problems)}", "; ".join(self.problems[:5])),
        ]
        head = (
            f"Parley soak: {options.clients} clients in {options.rooms} rooms, "
            f"{self.traffic_seconds:.0f} s of traffic + {self.drain_seconds:.1f} s drain, "
            f"against {self.url}" + (" (page cursor)" if options.page_cursor else "")
        )
        lines = [head] + [f"  {name:<21}{value:>10}  {note}".rstrip() for name, value, note in rows]
        lines += [f"    lost: {example}" for example in self.lost_examples]
        lines.append(f"  result: {'OK' if self.ok else 'FAILED'}")
        return "\n".join(lines)


@dataclass
class Member:
    client: ChatClient
    http: httpx.Client
    room: str


@contextlib.contextmanager
def target_server(url: str | None) -> Iterator[str]:
    """The URL to soak: the given one, or a daphne of its own for the duration."""
    if url:
        yield url.rstrip("/")
        return
    with tempfile.TemporaryDirectory(prefix="parley-soak-") as tmp:
        server = LiveServer(Path(tmp), extra_env=OWN_SERVER_ENV)
        server.start()
        try:
            yield server.base_url
        finally:
            server.stop()


async def sign_up_members(options: SoakOptions, base_url: str) -> list[Member]:
    """One user per client through the real forms; the first of each room creates it."""
    tag = secrets.token_hex(3)
    password = secrets.token_urlsafe(16)
    gate = asyncio.Semaphore(SIGNUP_CONCURRENCY)

    async def http_user(n: int) -> httpx.Client:
        async with gate:
            address = f"127.0.0.{2 + n // SIGNUPS_PER_ADDRESS}"
            return await asyncio.to_thread(
                signup, base_url, f"soak{tag}u{n}", password, source_address=address
            )

    owners = await asyncio.gather(*(http_user(n) for n in range(options.rooms)))
    slugs = [
        await asyncio.to_thread(create_room, owner, f"Soak {tag} room {n}")
        for n, owner in enumerate(owners)
    ]
    others = await asyncio.gather(*(http_user(n) for n in range(options.rooms, options.clients)))
    for n, http in enumerate(others, start=options.rooms):
        await asyncio.to_thread(join_room, http, slugs[n % options.rooms])
    members = []
    for n, http in enumerate([*owners, *others]):
        client = ChatClient(
            base_url=base_url,
            slug=slugs[n % options.rooms],
            username=f"soak{tag}u{n}",
            cookies=http.cookies,
            page_cursor=options.page_cursor,
        )
        members.append(Member(client, http, slugs[n % options.rooms]))
    return members


async def chatter(
    client: ChatClient, options: SoakOptions, until: float, rng: random.Random
) -> None:
    n = 0
    while (left := until - time.monotonic()) > 0:
        await asyncio.sleep(min(left, rng.expovariate(1 / options.interval)))
        if time.monotonic() < until:
            n += 1
            await client.send(f"{client.username} #{n} " + "lorem " * rng.randint(0, 30))


async def dropper(
    client: ChatClient, options: SoakOptions, until: float, rng: random.Random
) -> None:
    while (left := until - time.monotonic()) > 0:
        await asyncio.sleep(min(left, rng.expovariate(1 / options.reconnect_every)))
        if time.monotonic() < until:
            await client.drop(graceful=rng.random() < 0.3)


async def soak(options: SoakOptions) -> SoakReport:
    rng = random.Random(options.seed)  # noqa: S311 - test traffic, not secrets
    report = SoakReport(options)
    with target_server(options.url) as base_url:
        report.url = base_url
        members = await sign_up_members(options, base_url)
        clients = [member.client for member in members]
        try:
            for client in clients:
                client.start()
            await wait_until(
                lambda: all(client.ready.is_set() for client in clients),
                within=60,
                what="every client connected",
            )
            started = time.monotonic()
            until = started + options.seconds
            traffic = [
                task(client, options, until, random.Random(rng.random()))  # noqa: S311
                for client in clients
                for task in (chatter, dropper)
            ]
            await asyncio.gather(*traffic)
            report.traffic_seconds = time.monotonic() - started
            drained = time.monotonic()
            await drain(clients, options)
            report.drain_seconds = time.monotonic() - drained
            stored = {
                slug: await asyncio.to_thread(stored_messages, member.http, slug)
                for slug, member in {m.room: m for m in members}.items()
            }
            tally(report, members, stored)
        finally:
            await asyncio.gather(*(client.stop() for client in clients))
            for member in members:
                member.http.close()
    return report


async def drain(clients: list[ChatClient], options: SoakOptions) -> None:
    """Wait, within the drain period, for resends to be acknowledged and catch-ups to finish."""
    deadline = time.monotonic() + options.drain
    with contextlib.suppress(TimeoutError):
        await wait_until(lambda: all(not c.outbox for c in clients), within=options.drain)
        by_room: dict[str, set[int]] = {}
        for client in clients:
            by_room.setdefault(client.slug, set()).update(client.acknowledged.values())
        await wait_until(
            lambda: all(by_room[c.slug] <= c.seen.keys() for c in clients),
            within=max(0.0, deadline - time.monotonic()),
        )


def tally(report: SoakReport, members: list[Member], stored: dict[str, list[dict]]) -> None:
    clients = [member.client for member in members]
    acknowledged_in: dict[str, set[int]] = {slug: set() for slug in stored}
    sent_at: dict[str, float] = {}
    for client in clients:
        acknowledged_in[client.slug].update(client.acknowledged.values())
        sent_at.update(client.sent_at)
        report.sent += len(client.bodies)
        report.acknowledged += len(client.acknowledged)
        report.refused += len(client.refused)
        report.unacknowledged += len(client.outbox)
        report.transmissions += client.stats.transmissions
        report.resends += client.resends
        report.reconnects += client.stats.reconnects
        report.drops += client.stats.drops
        report.failed_connects += client.stats.connect_failures.total()
        report.overlaps += client.stats.overlaps
        report.http_pages += client.stats.http_pages
        report.errors.update(client.stats.errors)
        report.closes.update(client.stats.closes)
        report.duplicated += client.duplicates
        report.problems += [f"{client.username}: {problem}" for problem in client.problems]
    for client in clients:
        expected = acknowledged_in[client.slug]
        report.expected_deliveries += len(expected)
        report.delivered += len(expected & client.seen.keys())
        missing = sorted(expected - client.seen.keys())
        report.gaps += sum(1 for message_id in missing if message_id < (client.after or 0))
        if missing and len(report.lost_examples) < 5:
            report.lost_examples.append(
                f"{client.username} in {client.slug} lacks ids {missing[:5]} "
                f"(cursor {client.after}, reconnects {client.stats.reconnects})"
            )
        for message_id in expected & client.seen.keys():
            sent = sent_at.get(client.seen[message_id].get("client_id"))
            if sent is not None:
                report.latencies.append(client.arrived_at[message_id] - sent)
    for slug, messages in stored.items():
        report.stored += len(messages)
        ids = {message["id"] for message in messages}
        report.missing_from_store += len(acknowledged_in[slug] - ids)
        # A resend stored twice would carry one client_id under two ids.
        keys = Counter(
            (m["author"]["username"], m["client_id"]) for m in messages if m["client_id"]
        )
        report.duplicated += sum(count - 1 for count in keys.values())


def parse(argv: list[str] | None) -> SoakOptions:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rooms", type=int, default=4)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, help="traffic duration; overrides --minutes")
    parser.add_argument("--url", help="soak this server instead of starting one")
    parser.add_argument("--interval", type=float, default=SoakOptions.interval)
    parser.add_argument("--reconnect-every", type=float, default=SoakOptions.reconnect_every)
    parser.add_argument("--drain", type=float, default=SoakOptions.drain)
    parser.add_argument(
        "--page-cursor",
        action="store_true",
        help="catch up from the highest id seen, own acknowledgements included, as the page does",
    )
    parser.add_argument("--seed", type=int)
    args = parser.parse_args(argv)
    if args.clients < args.rooms or args.rooms < 1:
        parser.error("need at least one room and one client per room")
    return SoakOptions(
        clients=args.clients,
        rooms=args.rooms,
        seconds=args.seconds if args.seconds is not None else args.minutes * 60,
        url=args.url,
        interval=args.interval,
        reconnect_every=args.reconnect_every,
        drain=args.drain,
        page_cursor=args.page_cursor,
        seed=args.seed,
    )


def main(argv: list[str] | None = None) -> int:
    report = asyncio.run(soak(parse(argv)))
    print(report.summary())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
