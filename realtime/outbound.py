"""The frames between one socket and its ASGI server, bounded in both directions.

``OutboundQueue`` holds what the server cannot take yet; ``InboundBuffer``
holds what the client sent before the consumer could read it. Neither trusts
the server to push back: uvicorn makes a write wait for a client that stopped
reading, daphne never does (it buffers in Twisted without limit) and queues
every received frame for the application without limit. Both classes are
plain asyncio, so they are tested without Django.
"""

import asyncio
import enum
import functools
import logging
import types
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from typing import Any

logger = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Message = dict[str, Any]


def text_size(text: str) -> int:
    """Bytes of ``text`` as UTF-8; exact for ASCII without encoding (``isascii`` is O(1))."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


def send_eagerly(send: Send, message: Message) -> Awaitable[None] | None:
    """Run ``send(message)`` as far as it goes without waiting.

    Returns None when the server took the frame, otherwise the rest of the
    write, for a task to await. ASGI servers take a frame without waiting
    unless the client stopped reading (uvicorn then waits for the socket to
    drain; daphne never waits), so nearly every delivery is a plain call
    instead of a task per frame. Raises what the send raises.
    """
    coroutine = send(message)
    try:
        awaited = coroutine.send(None)
    except StopIteration:
        return None
    return _resumed(coroutine, awaited)


@types.coroutine
def _resumed(coroutine: Coroutine[Any, Any, None], awaited: Any) -> Generator[Any, None, None]:
    """The rest of ``coroutine``, stopped where it yielded ``awaited``, run by the awaiting task.

    ``awaited`` is passed on to that task as though the coroutine had yielded
    it there, so the task waits on it (or, for a bare yield, runs again on
    the next turn) exactly as for any await, then the coroutine continues.
    """
    try:
        yield awaited
    except BaseException:
        coroutine.close()
        raise
    yield from coroutine


class QueueState(enum.Enum):
    """How far an ``OutboundQueue`` is in its life; it only moves forward."""

    OPEN = "open"  # frames are accepted
    CLOSING = "closing"  # the close is written or waiting: later frames are dropped
    GONE = "gone"  # the socket ended or refused a write: nothing more is written


# Compared with on every frame: in Python 3.11 looking a member up on its Enum class is slow.
_OPEN = QueueState.OPEN


class OutboundQueue:
    """Frames for one socket, in order; closes it (once) when the client falls too far behind.

    A frame is written at once when the server takes it without waiting, which
    is nearly always. It waits here, behind the frames before it, while a write
    is pending (uvicorn), while the server says its buffer is full (daphne,
    through ``pause``/``resume``) or while the consumer holds the queue. Past
    ``max_frames`` or ``max_bytes`` waiting, the waiting frames are dropped and
    the socket closed with ``overflow_code``: the page catches up by id when it
    reconnects.
    """

    def __init__(
        self,
        send: Send,
        *,
        max_frames: int,
        max_bytes: int,
        overflow_code: int,
        on_gone: Callable[[], None] | None = None,
    ) -> None:
        self.send = send
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self.overflow_code = overflow_code
        self.on_gone = on_gone
        self.state = QueueState.OPEN
        self.held = False  # by the consumer, until ``release``
        self.paused = False  # by the server, until ``resume``
        self.frames: deque[Message] = deque()
        self.waiting_bytes = 0
        # The task writing what waits, from when a write has to wait until the queue is empty.
        self.writer: asyncio.Task | None = None

    def __len__(self) -> int:
        return len(self.frames)

    # --- Flow control from the server (a Twisted push producer under daphne)

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self._write_soon()

    def hold(self) -> None:
        """Queue everything until ``release`` (a page's history goes before the news)."""
        self.held = True

    def release(self, *first: str) -> None:
        """Write ``first``, then what queued while held."""
        self.held = False
        waited = self._drop_waiting()
        for text in first:
            self.put(text)
        for message in waited:
            if "text" in message:
                self.put(message["text"])
            else:  # the close of an overflow, queued behind a pending write
                self._write(message)

    # --- Frames

    def put(self, text: str) -> None:
        """Write ``text`` now if the server takes it without waiting, else queue it."""
        if self.state is not _OPEN:
            return
        self._write({"type": "websocket.send", "text": text})
        if self.frames and (
            len(self.frames) > self.max_frames or self.waiting_bytes > self.max_bytes
        ):
            logger.warning(
                "Closing a socket that stopped reading (%d frames, %d bytes waiting)",
                len(self.frames),
                self.waiting_bytes,
            )
            self._drop_waiting()
            # Past every gate: under daphne a paused socket still gets its close,
            # and daphne drops the connection once the closing handshake times out.
            self._close(self.overflow_code, past_gates=True)

    def close(self, code: int) -> None:
        """Close after the frames already queued; later frames are dropped."""
        if self.state is not _OPEN:
            return
        if self.held:
            # Refused while connecting: the page got no history, so nothing that
            # queued behind it may reach the page either.
            self.held = False
            self._drop_waiting()
        self._close(code)

    async def drained(self) -> None:
        """Wait until nothing is queued or being written (for tests and a graceful close)."""
        while (writer := self.writer) is not None and not writer.done():
            await asyncio.wait([writer])

    def cancel(self) -> None:
        """The socket ended: drop what waits and stop writing."""
        self.state = QueueState.GONE
        self._drop_waiting()
        if self.writer is not None:
            self.writer.cancel()

    # --- Internals

    def _close(self, code: int, *, past_gates: bool = False) -> None:
        self.state = QueueState.CLOSING
        self._write({"type": "websocket.close", "code": code}, past_gates=past_gates)

    def _write(self, message: Message, *, past_gates: bool = False) -> None:
        """Hand ``message`` to the server now if nothing is before it, else queue it behind."""
        gated = self.held or self.paused
        if not (self.frames or self.writer is not None or (gated and not past_gates)):
            try:
                rest = send_eagerly(self.send, message)
            except Exception:
                self._gone()
                return
            if rest is not None:
                self.writer = asyncio.ensure_future(self._drain(rest))
            return
        self.frames.append(message)
        if "text" in message:
            self.waiting_bytes += text_size(message["text"])
        self._write_soon()

    def _write_soon(self) -> None:
        if self.frames and not (self.held or self.paused or self.writer is not None):
            self.writer = asyncio.ensure_future(self._drain(None))

    async def _drain(self, rest: Awaitable[None] | None) -> None:
        try:
            if rest is not None:
                await rest
            while self.frames and not (self.paused or self.held):
                message = self.frames.popleft()
                if "text" in message:
                    self.waiting_bytes -= text_size(message["text"])
                await self.send(message)
        except asyncio.CancelledError:
            raise
        except Exception:
            self._gone()
        finally:
            self.writer = None

    def _drop_waiting(self) -> list[Message]:
        dropped = list(self.frames)
        self.frames.clear()
        self.waiting_bytes = 0
        return dropped

    def _gone(self) -> None:
        if self.state is QueueState.GONE:
            return
        # Usually a client that went away; logged, since a frame the server refuses
        # (autobahn's payload limit, say) ends the socket's output the same way.
        logger.info("Dropped frames for a socket whose server refused a write", exc_info=True)
        self.state = QueueState.GONE
        self._drop_waiting()
        if self.on_gone is not None:
            self.on_gone()


class InboundBuffer:
    """Reads the server's receive queue as fast as it fills; bounded in frames and bytes.

    The consumer handles frames one at a time, some of them waiting on the
    database; meanwhile daphne queues everything the client sends. Reading that
    queue at once into this bounded buffer keeps the server's queue empty.
    ``on_frame`` sees every frame as it arrives (the heartbeat's "heard from the
    client"), and may consume it by returning True (a ``pong``). Past the limits
    the buffered frames are dropped and ``get`` returns ``overflow_event``,
    once; frames after it are dropped until the disconnect, which always passes.
    """

    def __init__(
        self,
        receive: Receive,
        *,
        max_frames: int,
        max_bytes: int,
        overflow_event: dict[str, Any],
        on_frame: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        self.receive = receive
        self.max_frames = max_frames
        self.max_bytes = max_bytes
        self.overflow_event = overflow_event
        self.on_frame = on_frame
        self.messages: deque[dict[str, Any]] = deque()
        self.buffered_bytes = 0
        self.overflowed = False
        self.ready = asyncio.Event()
        self.reader: asyncio.Task | None = None

    async def get(self) -> dict[str, Any]:
        if self.reader is None:
            self.reader = asyncio.ensure_future(self._read())
        while not self.messages:
            self.ready.clear()
            if self.reader.done():
                self.reader.result()  # raise what ended the reader
                raise ConnectionError("the server's receive ended without a disconnect")
            waiter = asyncio.ensure_future(self.ready.wait())
            try:
                await asyncio.wait([self.reader, waiter], return_when=asyncio.FIRST_COMPLETED)
            finally:
                waiter.cancel()
        message = self.messages.popleft()
        self.buffered_bytes -= self._size(message)
        return message

    def stop(self) -> None:
        if self.reader is not None:
            self.reader.cancel()

    @staticmethod
    def _size(message: dict[str, Any]) -> int:
        data = message.get("text") or message.get("bytes") or ""
        return text_size(data) if isinstance(data, str) else len(data)

    async def _read(self) -> None:
        while True:
            message = await self.receive()
            kind = message.get("type")
            if kind == "websocket.receive":
                if self.on_frame is not None and self.on_frame(message):
                    continue
                if self.overflowed:
                    continue
                self.messages.append(message)
                self.buffered_bytes += self._size(message)
                if len(self.messages) > self.max_frames or self.buffered_bytes > self.max_bytes:
                    self.overflowed = True
                    self.messages = deque(m for m in self.messages if m["type"] != kind)
                    self.buffered_bytes = 0
                    self.messages.append(self.overflow_event)
            else:
                self.messages.append(message)
            self.ready.set()
            if kind == "websocket.disconnect":
                return


class _DaphneProducer:
    """A Twisted push producer that tells an ``OutboundQueue`` when the socket's buffer is full.

    Twisted asks the transport's producer to pause once more than its buffer
    size (64 KiB) waits to be written, and to resume when the buffer empties;
    that is the only sign inside daphne that a client stopped reading. The
    transport already has a producer (the HTTP channel that did the upgrade,
    which pauses reading from the client): it is still told everything.
    """

    def __init__(self, queue: OutboundQueue, previous: Any) -> None:
        self.queue = queue
        self.previous = previous

    def pauseProducing(self) -> None:
        self.queue.pause()
        if self.previous is not None:
            self.previous.pauseProducing()

    def resumeProducing(self) -> None:
        self.queue.resume()
        if self.previous is not None:
            self.previous.resumeProducing()

    def stopProducing(self) -> None:
        self.queue.cancel()
        if self.previous is not None:
            self.previous.stopProducing()


def daphne_flow_control(send: Send, queue: OutboundQueue) -> bool:
    """Under daphne, let ``queue`` know when the client stops reading. False elsewhere.

    daphne hands the application ``partial(server.handle_reply, protocol)`` as
    ``send``; the protocol's transport is where Twisted buffers. Not part of any
    interface: written for daphne 4.2 and Twisted 26; tests/realtime/test_pinned_internals.py
    fails when an upgrade changes that shape, and tests/security/test_sockets.py shows the
    effect on a real daphne. Other servers make a write wait instead, which
    ``OutboundQueue`` sees by itself.
    """
    # Channels' session middleware wraps the server's send in a method of its own.
    while (inner := getattr(getattr(send, "__self__", None), "real_send", None)) is not None:
        send = inner
    protocol = send.args[0] if isinstance(send, functools.partial) and send.args else None
    transport = getattr(protocol, "transport", None)
    if transport is None or not hasattr(transport, "registerProducer"):
        return False
    previous = getattr(transport, "producer", None)
    if previous is not None:
        transport.unregisterProducer()
    transport.registerProducer(_DaphneProducer(queue, previous), True)
    return True
