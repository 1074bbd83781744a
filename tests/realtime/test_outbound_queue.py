"""The per-socket outbound queue against a fake ASGI server: plain asyncio, no Django.

The fake server takes a frame at once, or, while ``waits`` is set, makes each
write wait on a future that the test resolves (``take_next``), so every step
of a slow client is explicit and no test sleeps.
"""

import asyncio
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from realtime.outbound import OutboundQueue, QueueState, text_size

ROOT = Path(__file__).resolve().parents[2]
OVERFLOW = 4503


@dataclass
class Write:
    message: dict
    done: asyncio.Future


class FakeServer:
    """An ASGI ``send`` that takes each frame at once, or after the test says so."""

    def __init__(self, *, waits: bool = False) -> None:
        self.waits = waits
        self.refuses = False
        self.offered: list[dict] = []  # every frame the queue handed over, in order
        self.taken: list[dict] = []  # the frames whose write completed
        self.writes: asyncio.Queue[Write] = asyncio.Queue()

    async def send(self, message: dict) -> None:
        if self.refuses:
            raise RuntimeError("Attempt to send on a closed protocol")
        self.offered.append(message)
        if self.waits:
            write = Write(message, asyncio.get_running_loop().create_future())
            self.writes.put_nowait(write)
            await write.done
        self.taken.append(message)

    async def take_next(self) -> dict:
        """Complete the next write the queue makes (waiting until it makes one)."""
        write = await self.writes.get()
        write.done.set_result(None)
        return write.message


def text(value: str) -> dict:
    return {"type": "websocket.send", "text": value}


def close(code: int) -> dict:
    return {"type": "websocket.close", "code": code}


def queue_for(server: FakeServer, gone: list | None = None, **limits: int) -> OutboundQueue:
    limits = {"max_frames": 5, "max_bytes": 10_000, **limits}
    on_gone = None if gone is None else (lambda: gone.append("gone"))
    return OutboundQueue(server.send, overflow_code=OVERFLOW, on_gone=on_gone, **limits)


async def test_frames_go_out_at_once_and_in_order_while_the_server_takes_them():
    server = FakeServer()
    queue = queue_for(server)

    for n in range(20):
        queue.put(f"frame {n}")

    assert server.taken == [text(f"frame {n}") for n in range(20)]
    assert len(queue) == 0
    assert queue.writer is None  # plain calls: no task was started for any of them


async def test_frames_wait_in_order_behind_a_write_the_server_made_wait():
    server = FakeServer(waits=True)
    queue = queue_for(server)

    for n in range(4):
        queue.put(f"frame {n}")

    assert server.offered == [text("frame 0")]  # handed over at once, then waiting
    assert len(queue) == 3
    assert [await server.take_next() for _ in range(4)] == [text(f"frame {n}") for n in range(4)]
    await queue.drained()
    assert server.taken == [text(f"frame {n}") for n in range(4)]


async def test_once_the_backlog_is_written_frames_go_out_at_once_again():
    server = FakeServer(waits=True)
    queue = queue_for(server)
    queue.put("slow")
    queue.put("behind it")

    await server.take_next()
    server.waits = False
    await queue.drained()
    queue.put("after")

    assert server.taken == [text("slow"), text("behind it"), text("after")]
    assert len(queue) == 0


async def test_a_write_that_asks_for_one_more_turn_is_finished_on_the_next_turn():
    taken = []

    async def send(message: dict) -> None:
        await asyncio.sleep(0)  # a bare yield, as a server that wants to run again
        taken.append(message["text"])

    queue = OutboundQueue(send, max_frames=5, max_bytes=1000, overflow_code=OVERFLOW)
    queue.put("a")
    queue.put("b")
    await queue.drained()

    assert taken == ["a", "b"]


async def test_more_frames_waiting_than_the_limit_close_the_socket_once_and_drop_the_rest():
    server = FakeServer(waits=True)
    queue = queue_for(server, max_frames=3)

    for n in range(10):
        queue.put(f"frame {n}")
    queue.close(4401)

    # The write in progress finishes; what waited behind it is dropped for the close.
    assert await server.take_next() == text("frame 0")
    assert await server.take_next() == close(OVERFLOW)
    await queue.drained()
    assert server.taken == [text("frame 0"), close(OVERFLOW)]
    assert queue.state is QueueState.CLOSING
    assert server.writes.empty()


async def test_more_bytes_waiting_than_the_limit_close_the_socket():
    server = FakeServer(waits=True)
    queue = queue_for(server, max_frames=1000, max_bytes=1000)
    queue.put("x")

    queue.put("é" * 200)  # 400 bytes each in UTF-8, 200 characters
    queue.put("é" * 200)
    assert (len(queue), queue.waiting_bytes) == (2, 800)
    queue.put("é" * 200)

    assert len(queue) == 1  # only the close waits now
    await server.take_next()
    assert await server.take_next() == close(OVERFLOW)
    assert text_size("é" * 200) == 400


async def test_a_paused_server_holds_every_frame_until_it_resumes():
    server = FakeServer()
    queue = queue_for(server)

    queue.pause()
    queue.put("a")
    queue.put("b")
    assert server.offered == []
    queue.resume()
    await queue.drained()

    assert server.taken == [text("a"), text("b")]


async def test_a_paused_server_past_the_limit_is_sent_the_close_at_once():
    server = FakeServer()
    queue = queue_for(server, max_frames=2)

    queue.pause()
    for n in range(5):
        queue.put(f"frame {n}")

    assert server.taken == [close(OVERFLOW)]
    assert len(queue) == 0


async def test_held_frames_go_after_the_frames_released_first():
    server = FakeServer()
    queue = queue_for(server)

    queue.hold()
    queue.put("news")
    assert server.offered == []
    queue.release("history")

    assert server.taken == [text("history"), text("news")]


async def test_released_frames_keep_their_order_behind_a_write_that_waits():
    server = FakeServer(waits=True)
    queue = queue_for(server)

    queue.hold()
    queue.put("news 1")
    queue.put("news 2")
    queue.release("history")

    assert [await server.take_next() for _ in range(3)] == [
        text("history"),
        text("news 1"),
        text("news 2"),
    ]


async def test_a_close_goes_after_the_frames_before_it_and_nothing_after():
    server = FakeServer(waits=True)
    queue = queue_for(server)

    queue.put("removed")
    queue.close(4403)
    queue.put("too late")
    queue.close(4401)
    await server.take_next()
    await server.take_next()
    await queue.drained()

    assert server.taken == [text("removed"), close(4403)]
    assert server.writes.empty()


async def test_a_close_while_held_drops_what_queued_behind_the_hold():
    server = FakeServer()
    queue = queue_for(server)

    queue.hold()
    queue.put("news for a page that never got its history")
    queue.close(4403)
    queue.release("history")

    assert server.taken == [close(4403)]


async def test_a_refused_write_marks_the_socket_gone_once_and_drops_the_rest():
    server = FakeServer()
    gone = []
    queue = queue_for(server, gone)
    server.refuses = True

    queue.put("a")
    queue.put("b")
    queue.close(1000)

    assert gone == ["gone"]
    assert server.offered == []
    assert queue.state is QueueState.GONE


async def test_a_write_refused_behind_a_waiting_one_marks_the_socket_gone_once():
    server = FakeServer(waits=True)
    gone = []
    queue = queue_for(server, gone)
    queue.put("a")
    queue.put("b")
    queue.put("c")

    server.refuses = True
    await server.take_next()
    await queue.drained()
    queue.put("d")

    assert gone == ["gone"]
    assert server.taken == [text("a")]
    assert len(queue) == 0


@pytest.mark.parametrize("writer_started", [False, True])
async def test_a_cancelled_queue_abandons_the_waiting_write_and_writes_nothing_more(
    writer_started,
):
    server = FakeServer(waits=True)
    gone = []
    queue = queue_for(server, gone)
    queue.put("a")
    queue.put("b")
    waiting = await server.writes.get()
    if writer_started:
        await asyncio.sleep(0)  # one turn: the writer task now waits on the server's future

    queue.cancel()
    await queue.drained()
    queue.put("c")
    if not waiting.done.done():
        waiting.done.set_result(None)
    await asyncio.sleep(0)

    assert server.offered == [text("a")]
    assert server.taken == []
    assert gone == []  # the socket's own ending, not a refusal


@pytest.mark.parametrize("limit", ["max_frames", "max_bytes"])
async def test_frames_the_server_took_at_once_never_count_against_the_limits(limit):
    server = FakeServer()
    queue = queue_for(server, **{limit: 1})

    for n in range(50):
        queue.put(f"frame {n}")

    assert len(server.taken) == 50
    assert queue.state is QueueState.OPEN


def test_the_queue_module_needs_neither_django_nor_channels():
    code = (
        "import sys, realtime.outbound; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'channels'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"
