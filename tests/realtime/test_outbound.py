"""The per-socket queues, driven with a fake ASGI server: no Django involved."""

import asyncio

import pytest

from messaging import protocol
from realtime.outbound import InboundBuffer, OutboundQueue, text_size

CLOSE = 4503


class FakeServer:
    """An ASGI ``send`` that takes frames at once, or makes them wait while ``blocked``."""

    def __init__(self) -> None:
        self.sent: list[dict] = []
        self.open = asyncio.Event()
        self.open.set()
        self.fail = False

    async def send(self, message: dict) -> None:
        if self.fail:
            raise RuntimeError("Attempt to send on a closed protocol")
        await self.open.wait()
        self.sent.append(message)

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.sent if m["type"] == "websocket.send"]

    @property
    def closes(self) -> list[int]:
        return [m["code"] for m in self.sent if m["type"] == "websocket.close"]


def queue_for(server: FakeServer, **limits: int) -> OutboundQueue:
    limits = {"max_frames": 5, "max_bytes": 10_000, **limits}
    return OutboundQueue(server.send, overflow_code=CLOSE, **limits)


async def test_frames_go_out_at_once_while_the_server_takes_them():
    server = FakeServer()
    queue = queue_for(server)

    for n in range(20):
        queue.put(f"frame {n}")

    assert server.texts == [f"frame {n}" for n in range(20)]
    assert len(queue) == 0


async def test_frames_wait_in_order_behind_a_write_the_server_made_wait():
    server = FakeServer()
    server.open.clear()
    queue = queue_for(server)

    for n in range(4):
        queue.put(f"frame {n}")
    await asyncio.sleep(0)
    assert server.texts == []
    server.open.set()
    await queue.drained()

    assert server.texts == [f"frame {n}" for n in range(4)]
    assert server.closes == []


async def test_more_frames_waiting_than_the_limit_close_the_socket_once():
    server = FakeServer()
    server.open.clear()
    queue = queue_for(server, max_frames=3)

    for n in range(10):
        queue.put(f"frame {n}")
    server.open.set()
    await queue.drained()

    # The write in progress finishes; what waited behind it is dropped for the close.
    assert server.texts == ["frame 0"]
    assert server.closes == [CLOSE]


async def test_more_bytes_waiting_than_the_limit_close_the_socket():
    server = FakeServer()
    server.open.clear()
    queue = queue_for(server, max_frames=1000, max_bytes=1000)

    queue.put("x")
    for _ in range(3):
        queue.put("é" * 200)  # 400 bytes each in UTF-8, 200 characters
    server.open.set()
    await queue.drained()

    assert server.closes == [CLOSE]
    assert text_size("é" * 200) == 400


async def test_a_paused_server_holds_every_frame_until_it_resumes():
    server = FakeServer()
    queue = queue_for(server)

    queue.pause()
    queue.put("a")
    queue.put("b")
    assert server.texts == []
    queue.resume()
    await queue.drained()

    assert server.texts == ["a", "b"]


async def test_a_paused_server_past_the_limit_is_sent_the_close_at_once():
    server = FakeServer()
    queue = queue_for(server, max_frames=2)

    queue.pause()
    for n in range(5):
        queue.put(f"frame {n}")
    await queue.drained()

    assert server.texts == []
    assert server.closes == [CLOSE]


async def test_held_frames_go_after_the_frames_released_first():
    server = FakeServer()
    queue = queue_for(server)

    queue.hold()
    queue.put("news")
    queue.release("history")

    assert server.texts == ["history", "news"]


async def test_a_close_goes_after_the_frames_before_it_and_nothing_after():
    server = FakeServer()
    server.open.clear()
    queue = queue_for(server)

    queue.put("removed")
    queue.close(4403)
    queue.put("too late")
    queue.close(4401)
    server.open.set()
    await queue.drained()

    assert server.sent == [
        {"type": "websocket.send", "text": "removed"},
        {"type": "websocket.close", "code": 4403},
    ]


async def test_a_refused_write_marks_the_socket_gone_once_and_drops_the_rest():
    server = FakeServer()
    gone = []
    queue = OutboundQueue(
        server.send,
        max_frames=5,
        max_bytes=1000,
        overflow_code=CLOSE,
        on_gone=lambda: gone.append(1),
    )
    server.fail = True

    queue.put("a")
    queue.put("b")

    assert gone == [1]
    assert server.sent == []


def receiving(messages: list[dict]):
    pending = asyncio.Queue()
    for message in messages:
        pending.put_nowait(message)
    return pending.get


def frame(text: str) -> dict:
    return {"type": "websocket.receive", "text": text}


async def test_inbound_frames_reach_the_consumer_in_order():
    inbound = InboundBuffer(
        receiving([frame("a"), frame("b")]),
        max_frames=5,
        max_bytes=100,
        overflow_event={"type": "overflow"},
    )

    assert [await inbound.get(), await inbound.get()] == [frame("a"), frame("b")]
    inbound.stop()


async def test_inbound_frames_past_the_limit_become_one_overflow_and_the_disconnect_still_passes():
    flood = [frame("x" * 100) for _ in range(50)]
    inbound = InboundBuffer(
        receiving([*flood, {"type": "websocket.disconnect", "code": 1000}]),
        max_frames=1000,
        max_bytes=1000,
        overflow_event={"type": "overflow"},
    )
    await asyncio.sleep(0.01)  # the reader empties the server's queue meanwhile

    received = [await inbound.get(), await inbound.get()]

    assert received == [{"type": "overflow"}, {"type": "websocket.disconnect", "code": 1000}]
    assert inbound.buffered_bytes == 0


async def test_a_frame_the_transport_consumes_never_reaches_the_consumer():
    heard = []

    def on_frame(message: dict) -> bool:
        heard.append(message["text"])
        return protocol.is_pong(message["text"])

    inbound = InboundBuffer(
        receiving([frame('{"type": "pong"}'), frame('{"type": "typing"}')]),
        max_frames=5,
        max_bytes=100,
        overflow_event={"type": "overflow"},
        on_frame=on_frame,
    )

    assert await inbound.get() == frame('{"type": "typing"}')
    assert heard == ['{"type": "pong"}', '{"type": "typing"}']
    inbound.stop()


@pytest.mark.parametrize(
    ("text", "pong"),
    [
        ('{"type": "pong"}', True),
        ('{"type":"pong"}', True),
        ('{"type": "ping"}', False),
        ('"pong"', False),
        ("pong", False),
        (None, False),
    ],
)
def test_only_a_pong_frame_is_a_pong(text, pong):
    assert protocol.is_pong(text) is pong
