"""Fan-out: R rooms of M members, messages at a rising rate, every delivery timed.

Each step sends at a fixed rate for ``seconds`` (open loop: the schedule does not wait for the
server), from a random member of each room in turn. Every other member of the room must
receive the message exactly once; the time from just before ``send`` to its arrival is one
delivery's latency. A frame in the wrong room is counted as misrouted. The rate grows by
``factor`` until a step misses p99 < ``stop_p99_ms`` or loses messages, then up to ``refine``
steps bisect between the fastest step that held p99 under ``saturation_p99_ms`` and the
slowest that did not. The saturation point is the highest delivery rate of a step with p99
under ``saturation_p99_ms`` and nothing lost or duplicated.
"""

import asyncio
import contextlib
import itertools
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from bench.scenarios.common import (
    PONG,
    TOKEN,
    CpuMeter,
    Wire,
    close_all,
    percentiles,
    quiet,
    settle,
)

DEFAULTS = {
    "start": 100.0,  # deliveries per second of the first step
    "factor": 1.5,
    "max_steps": 20,
    "refine": 2,
    "seconds": 4.0,
    "drain": 3.0,  # at most this long after a step's last send for its deliveries
    "stop_p99_ms": 1000.0,
    "saturation_p99_ms": 250.0,
    "connect_concurrency": 50,
    "label": "",
    # A step during which other programs used more than this many cores is run again, up to
    # ``noise_retries`` times, once the machine is quiet: a shared machine skews latencies.
    "noise_cores": 0.3,
    "noise_retries": 2,
}


@dataclass
class Step:
    rate: float  # messages per second asked for
    expected_each: int  # receivers per message
    sent: int = 0
    send_seconds: float = 0.0
    delivered: int = 0
    duplicated: int = 0
    latencies: list[float] = field(default_factory=list)
    acks: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def expected(self) -> int:
        return self.sent * self.expected_each

    @property
    def complete(self) -> bool:
        return self.delivered >= self.expected

    def p99_ms(self) -> float:
        if not self.complete:
            return float("inf")
        return percentiles(self.latencies)["p99"] or 0.0

    def summary(self) -> dict[str, Any]:
        seconds = max(self.send_seconds, 1e-6)
        return {
            "target_messages_per_s": round(self.rate, 2),
            "target_deliveries_per_s": round(self.rate * self.expected_each, 1),
            "messages_per_s": round(self.sent / seconds, 2),
            "deliveries_per_s": round(self.delivered / seconds, 1),
            "sent": self.sent,
            "expected": self.expected,
            "delivered": self.delivered,
            "lost": self.expected - self.delivered,
            "duplicated": self.duplicated,
            "latency_ms": percentiles(self.latencies),
            "ack_ms": percentiles(self.acks),
            "cpu_cores": self.cpu,
        }


# Keys (and so Parley's client_ids) are unique within the process, across FanOut instances.
KEYS = itertools.count(1)


class Sent:
    __slots__ = ("acked", "at", "got", "room", "sender", "step")

    def __init__(self, at: float, step: Step, room: int, sender: int, members: int) -> None:
        self.acked = False
        self.at = at
        self.step = step
        self.room = room
        self.sender = sender
        self.got = bytearray(members)


class FanOut:
    def __init__(
        self, wire: Wire, rooms: list[str], users: list[dict], options: dict, pids: dict
    ) -> None:
        self.wire = wire
        self.rooms = rooms
        self.users = users
        self.options = {**DEFAULTS, **options}
        self.members = self.options["members"]
        self.pids = pids
        self.sockets: list[list[ClientConnection]] = []
        self.sent: dict[int, Sent] = {}
        self.errors = 0
        self.misrouted = 0
        self.unknown = 0
        self.closed = 0
        self.readers: list[asyncio.Task] = []
        self.discarded: list[Step] = []  # steps run again because other programs were busy
        self.rng = random.Random(7)  # noqa: S311 - the choice of sender, not a secret

    async def open(self) -> float:
        gate = asyncio.Semaphore(self.options["connect_concurrency"])

        async def connect(room: str, member: int) -> ClientConnection:
            async with gate:
                return await self.wire.connect(room, self.users[member]["cookies"])

        started = time.monotonic()
        for room_index, room in enumerate(self.rooms):
            row = await asyncio.gather(*(connect(room, m) for m in range(self.members)))
            self.sockets.append(row)
            for member, ws in enumerate(row):
                self.readers.append(asyncio.create_task(self.read(ws, room_index, member)))
        return time.monotonic() - started

    async def read(self, ws: ClientConnection, room: int, member: int) -> None:
        wire = self.wire
        try:
            async for text in ws:
                now = time.monotonic()
                if wire.is_message(text):
                    match = TOKEN.search(text)
                    if match:
                        self.arrived(int(match[1]), room, member, now)
                elif wire.is_error(text):
                    self.errors += 1
                elif wire.is_ping(text):
                    await ws.send(PONG)
        except ConnectionClosed:
            pass
        self.closed += 1

    def arrived(self, key: int, room: int, member: int, now: float) -> None:
        sent = self.sent.get(key)
        if sent is None:
            self.unknown += 1
        elif sent.room != room:
            self.misrouted += 1
        elif member == sent.sender:  # Parley's acknowledgement, or the tutorial's echo
            if not sent.acked:
                sent.acked = True
                sent.step.acks.append(now - sent.at)
        elif sent.got[member]:
            sent.step.duplicated += 1
        else:
            sent.got[member] = 1
            sent.step.delivered += 1
            sent.step.latencies.append(now - sent.at)

    async def send_one(self, step: Step, room: int) -> None:
        key = next(KEYS)
        sender = self.rng.randrange(self.members)
        frame = self.wire.send_frame(key)
        self.sent[key] = Sent(time.monotonic(), step, room, sender, self.members)
        step.sent += 1
        with contextlib.suppress(ConnectionClosed):
            await self.sockets[room][sender].send(frame)

    async def run_step(self, rate: float) -> Step:
        step = Step(rate=rate, expected_each=self.members - 1)
        total = max(1, round(rate * self.options["seconds"]))
        meter = CpuMeter(self.pids)
        started = time.monotonic()
        n = 0
        while n < total:
            due = min(total, int((time.monotonic() - started) * rate) + 1)
            while n < due:
                await self.send_one(step, n % len(self.rooms))
                n += 1
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))
        step.send_seconds = time.monotonic() - started
        deadline = time.monotonic() + self.options["drain"]
        # Polling: the readers only count, they should not also wake this loop.
        while not step.complete and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        step.cpu = meter.read()
        summary = step.summary()
        print(
            f"[loadgen]   {self.options['label']}: {summary['target_deliveries_per_s']:>9,.0f} "
            f"deliveries/s asked, {summary['deliveries_per_s']:>9,.0f} done, "
            f"p99 {summary['latency_ms']['p99']} ms, lost {summary['lost']}, cpu {step.cpu}",
            file=sys.stderr,
            flush=True,
        )
        return step

    async def wait_for_stragglers(self, steps: list[Step], within: float) -> None:
        """Let late deliveries of earlier steps arrive (they count, with their latency)."""
        deadline = time.monotonic() + within
        last = -1
        quiet_since = time.monotonic()
        while not all(step.complete for step in steps) and time.monotonic() < deadline:
            delivered = sum(step.delivered for step in steps)
            if delivered != last:
                last, quiet_since = delivered, time.monotonic()
            elif time.monotonic() - quiet_since > 2.0:
                return
            await asyncio.sleep(0.05)

    async def run_quiet_step(self, rate: float) -> Step:
        """A step; again (after waiting for quiet) if other programs took the CPU meanwhile."""
        for _ in range(self.options["noise_retries"]):
            step = await self.run_step(rate)
            if step.cpu.get("others", 0.0) <= self.options["noise_cores"]:
                return step
            self.discarded.append(step)
            print(
                f"[loadgen]   {self.options['label']}: other programs used "
                f"{step.cpu['others']} cores: this step runs again once the machine is quiet",
                file=sys.stderr,
                flush=True,
            )
            await self.wait_for_stragglers([step], within=15)
            await quiet(self.options["noise_cores"], within=60)
        return await self.run_step(rate)

    def held(self, step: Step) -> bool:
        """Within the saturation point's rule: complete, no duplicate, p99 under the bar."""
        return (
            step.complete
            and step.duplicated == 0
            and step.p99_ms() < self.options["saturation_p99_ms"]
        )

    def good(self, step: Step) -> bool:
        return (
            step.complete and step.duplicated == 0 and step.p99_ms() < self.options["stop_p99_ms"]
        )

    async def prepare(self) -> float:
        """Open every socket and warm up with one message per room; the seconds connecting."""
        connect_seconds = await self.open()
        warm = Step(rate=1.0, expected_each=self.members - 1)
        for room in range(len(self.rooms)):
            await self.send_one(warm, room)
        await self.wait_for_stragglers([warm], within=10)
        await settle(self.pids.get("server", []))
        return connect_seconds

    async def finish(self, steps: list[Step]) -> None:
        await self.wait_for_stragglers(steps, within=15)
        await close_all([ws for row in self.sockets for ws in row])
        await asyncio.gather(*self.readers, return_exceptions=True)

    async def run(self) -> dict[str, Any]:
        options = self.options
        fanout = self.members - 1
        connect_seconds = await self.prepare()
        server_pids = self.pids.get("server", [])
        steps: list[Step] = []
        rate = options["start"] / fanout
        for _ in range(options["max_steps"]):
            step = await self.run_quiet_step(rate)
            steps.append(step)
            if not self.good(step):
                break
            rate *= options["factor"]
        # Bisect between the fastest step that held the saturation p99 and the slowest that did not.
        for _ in range(options["refine"]):
            await self.wait_for_stragglers(steps, within=15)
            await settle(server_pids)
            good = [s.rate for s in steps if self.held(s)]
            bad = [s.rate for s in steps if not self.held(s) and s.rate > max(good, default=0)]
            if not good or not bad or min(bad) / max(good) < 1.15:
                break
            steps.append(await self.run_quiet_step((max(good) * min(bad)) ** 0.5))
        await self.finish(steps + self.discarded)
        steps.sort(key=lambda s: s.rate)
        summaries = [step.summary() for step in steps]
        return {
            "rooms": len(self.rooms),
            "members": self.members,
            "sockets": len(self.rooms) * self.members,
            "connect_seconds": round(connect_seconds, 2),
            "steps": summaries,
            **saturation(summaries, options["saturation_p99_ms"]),
            # Discarded steps are out of the curve, not out of the delivery check.
            "steps_run_again_for_noise": len(self.discarded),
            "sent": sum(s.sent for s in [*steps, *self.discarded]),
            "delivered": sum(s.delivered for s in [*steps, *self.discarded]),
            "lost": sum(s.expected - s.delivered for s in [*steps, *self.discarded]),
            "duplicated": sum(s.duplicated for s in [*steps, *self.discarded]),
            "unacknowledged": self.unacknowledged(),
            "errors": self.errors,
            "misrouted": self.misrouted,
            "unknown": self.unknown,
        }

    def unacknowledged(self) -> int | None:
        """Parley acknowledges every stored message to its sender; the baselines do not."""
        if self.wire.server != "parley":
            return None
        return sum(1 for sent in self.sent.values() if not sent.acked)


def saturation(steps: list[dict[str, Any]], p99_ms: float) -> dict[str, Any]:
    """The fastest step that held p99 under ``p99_ms`` with nothing lost or duplicated."""
    held = [
        s
        for s in steps
        if s["lost"] == 0
        and s["duplicated"] == 0
        and s["latency_ms"]["p99"] is not None
        and s["latency_ms"]["p99"] < p99_ms
    ]
    best = max(held, key=lambda s: s["deliveries_per_s"], default=None)
    return {
        "saturation_deliveries_per_s": best["deliveries_per_s"] if best else 0.0,
        "saturation_latency_ms": best["latency_ms"] if best else None,
        # Every step held: the real saturation point lies beyond the last rate tried.
        "saturation_reached": len(held) < len(steps),
    }


async def run(wire: Wire, rooms: list[str], users: list[dict], options: dict, pids: dict) -> dict:
    return await FanOut(wire, rooms, users, options, pids).run()
