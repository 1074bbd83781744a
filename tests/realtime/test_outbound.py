"""The per-socket inbound buffer, driven with a fake ASGI receive; the outbound queue's tests
are in test_outbound_queue.py."""

import asyncio

import pytest

from messaging import protocol
from realtime.outbound import InboundBuffer


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
