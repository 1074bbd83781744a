"""What every Parley socket does between its ASGI server and its page, whatever it carries.

The auth gate, the user's and the session's groups, bounded queues both ways
(realtime/outbound.py), one close, a heartbeat that notices a connection gone
silent, a periodic look at the session, the frame budget and strikes, the
user's socket slots, and a clean-up that runs exactly once however the socket
ends: a disconnect, a write the server refused, a crash of a handler or a
cancellation by the server. The room and inbox consumers add what they carry.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from messaging import protocol
from messaging.consumers.common import (
    session_expiry,
    socket_slot_acquire_async,
    socket_slot_release_async,
)
from messaging.throttle import FrameBudget, retry_after_seconds
from realtime import events
from realtime.broadcast import group_join, group_leave
from realtime.groups import session_group_name, user_group_name
from realtime.outbound import InboundBuffer, OutboundQueue, daphne_flow_control

logger = logging.getLogger(__name__)

EventHandler = Callable[[Any, dict[str, Any]], Awaitable[None]]


def frames_too_fast(wait: float) -> dict[str, Any]:
    """The answer to a frame past the socket's or the user's frame budget."""
    return events.error(
        code=protocol.ErrorCode.RATE_LIMITED,
        detail=_("You are sending frames too fast; wait %(s).1f s.") % {"s": wait},
        retry_after=retry_after_seconds(wait),
    )


class Strikes:
    """Refused frames in a row.

    A page whose frames are refused stops and waits; a client that keeps
    sending them is flooding, and each refusal still costs an answer.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.count = 0

    def add(self) -> bool:
        """Count one refusal; True once there were more than the limit in a row."""
        self.count += 1
        return self.count > self.limit

    def clear(self) -> None:
        self.count = 0


class SocketConsumer(AsyncJsonWebsocketConsumer):
    """The base of the room and inbox consumers."""

    outbound: OutboundQueue
    inbound: InboundBuffer
    strikes: Strikes
    cleaned_up = False
    holds_socket_slot = False
    closing = False
    heard_at = 0.0
    # Pongs owed for pings sent: only those are taken off the line before the
    # consumer; any other pong counts against the socket's frame budget.
    pongs_owed = 0
    frame_budget: FrameBudget | None = None
    groups_joined: tuple[str, ...] = ()
    # What the socket-local limits (frame budget, typing interval) measure time with; a test
    # replaces it to move past a limit without waiting.
    clock = staticmethod(time.monotonic)
    transport_tasks: tuple[asyncio.Task, ...] = ()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.outbound = OutboundQueue(
            send,
            max_frames=settings.PARLEY_OUTBOUND_MAX_FRAMES,
            max_bytes=settings.PARLEY_OUTBOUND_MAX_BYTES,
            overflow_code=protocol.CLOSE_TRY_AGAIN_LATER,
            on_gone=self.socket_gone,
        )
        daphne_flow_control(send, self.outbound)
        self.inbound = InboundBuffer(
            receive,
            max_frames=settings.PARLEY_INBOUND_MAX_FRAMES,
            max_bytes=settings.PARLEY_INBOUND_MAX_BYTES,
            overflow_event=events.inbound_overflow(),
            on_frame=self.frame_heard,
        )
        self.strikes = Strikes(settings.PARLEY_RATE_LIMIT_STRIKES)
        self.heard_at = asyncio.get_running_loop().time()
        try:
            await super().__call__(scope, self.inbound.get, send)
        finally:
            self.inbound.stop()
            # Also after a crash or a cancellation, which never reach disconnect().
            await self.socket_cleanup_once()

    # --- Channels' methods, overridden here and nowhere else
    #
    # send() and close(): every frame, of every kind, goes through the bounded
    # queue in order, and the socket closes once, after what is queued.
    # send_json(): Channels' own calls its parent's send(), past the override.
    # dispatch(): group events in the consumer's table skip Channels' detour
    # through the database thread. Its dispatch() first closes stale database
    # connections on that thread, for every event; these handlers only write
    # to the socket (or read through database_sync_to_async, which closes
    # stale connections itself), so the detour would be pure cost, and a
    # removal would wait behind the database thread while the fan-out, which
    # never waits for it, writes later messages. A frame from the page goes
    # direct for the same reason.

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        if text_data is not None:
            self.outbound.put(text_data)
        if close:
            await self.close()

    async def send_json(self, content: Any, close: bool = False) -> None:
        await self.send(text_data=await self.encode_json(content), close=close)

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        self.close_now(1000 if code is None or code is True else code)

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = self.event_handlers.get(message["type"])
        if handler is not None:
            await handler(self, message)
        elif message["type"] == "websocket.receive":
            await self.websocket_receive(message)
        else:
            await super().dispatch(message)

    def close_now(self, code: int) -> None:
        if not self.closing:
            self.closing = True
            self.outbound.close(code)

    def socket_gone(self) -> None:
        """The server refused a write: the client is gone, whether or not a disconnect follows."""
        self.transport_tasks += (asyncio.ensure_future(self.socket_cleanup_once()),)

    # --- Opening

    async def connect(self) -> None:
        self.user = self.scope["user"]
        # Close codes only reach the client after the handshake, hence accept first.
        await self.accept()
        if not self.user.is_authenticated:
            await self.close(code=protocol.CLOSE_UNAUTHENTICATED)
            return
        await self.open()

    async def open(self) -> None:
        """Everything after the auth gate: each consumer finds what it carries."""
        raise NotImplementedError

    @property
    def session_key(self) -> str | None:
        return getattr(self.scope.get("session"), "session_key", None)

    async def group_join(self, group: str) -> None:
        """Join ``group``; the clean-up leaves it."""
        await group_join(group, self.channel_name)
        self.groups_joined += (group,)

    async def group_leave(self, group: str) -> None:
        await group_leave(group, self.channel_name)
        self.groups_joined = tuple(joined for joined in self.groups_joined if joined != group)

    async def personal_groups_join(self) -> None:
        """The groups through which the user's account and session reach every socket."""
        await self.group_join(user_group_name(self.user.pk))
        if self.session_key:
            await self.group_join(session_group_name(self.session_key))

    async def socket_slot_take(self) -> bool:
        """Take one of the user's socket slots; False, and closed with 4429, when none is free.

        Room pages and sidebars together, PARLEY_MAX_SOCKETS_PER_USER.
        """
        if not await socket_slot_acquire_async(user_id=self.user.pk):
            await self.close(code=protocol.CLOSE_TOO_MANY)
            return False
        self.holds_socket_slot = True
        return True

    async def transport_start(self) -> bool:
        """Start the heartbeat and the session watch; False (and closed 4401) without a session.

        The session's expiry is read now, so the socket closes when it ends.
        """
        tasks = [asyncio.ensure_future(self.ping_loop())]
        if self.session_key:
            try:
                expires = await session_expiry(session_key=self.session_key, user_id=self.user.pk)
            except Exception:
                tasks[0].cancel()
                raise
            if expires is None:
                tasks[0].cancel()
                await self.close(code=protocol.CLOSE_UNAUTHENTICATED)
                return False
            tasks.append(asyncio.ensure_future(self.session_watch(self.session_key, expires)))
        self.transport_tasks += tuple(tasks)
        return True

    # --- Frames from the page

    def frame_heard(self, message: dict[str, Any]) -> bool:
        """Any frame proves the connection alive; a ``pong`` that a ping asked for is consumed."""
        self.heard_at = asyncio.get_running_loop().time()
        if self.pongs_owed and protocol.is_pong(message.get("text")):
            self.pongs_owed -= 1
            return True
        return False

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing or not await self.frame_budget_take() or protocol.is_pong(text_data):
            return  # a pong no ping asked for costs the budget and nothing else
        await self.frame_receive(text_data, bytes_data)

    async def frame_receive(self, text_data: str | None, bytes_data: bytes | None) -> None:
        """A frame within the budget, not a pong: each consumer says what it reads."""
        raise NotImplementedError

    async def frame_budget_take(self) -> bool:
        """Count the frame against this socket's budget before reading it; False if refused.

        Checked before the frame is decoded or anything else is done with it, so
        a flood of junk costs a counter per frame, and only the first refusal of
        a run is answered, so a client that does not read cannot make the server
        queue an answer per frame.
        """
        if self.frame_budget is None:
            self.frame_budget = FrameBudget(
                burst=settings.PARLEY_SOCKET_FRAME_BURST,
                rate=settings.PARLEY_SOCKET_FRAME_RATE,
                clock=self.clock,
            )
        wait = self.frame_budget.take()
        if not wait:
            return True
        if self.frame_budget.overdrawn > settings.PARLEY_RATE_LIMIT_STRIKES:
            await self.close(code=protocol.CLOSE_FLOODING)
            return False
        await self.refuse(frames_too_fast(wait), answer=self.frame_budget.overdrawn == 1)
        return False

    async def refuse(self, frame: dict[str, Any], *, answer: bool = True) -> None:
        """Answer a refused frame with ``frame``; too many refusals in a row close the socket."""
        if self.strikes.add():
            await self.close(code=protocol.CLOSE_FLOODING)
        elif answer:
            await self.send_json(frame)

    # --- Group events every socket handles

    async def session_end(self, event: dict[str, Any]) -> None:
        await self.close(code=protocol.CLOSE_UNAUTHENTICATED)

    async def layer_lose(self, event: dict[str, Any]) -> None:
        """This process lost Redis (realtime/layers.py): the page reconnects and catches up."""
        await self.close(code=protocol.CLOSE_TRY_AGAIN_LATER)

    async def inbound_overflow(self, event: dict[str, Any]) -> None:
        logger.warning("Closing a socket that sent frames faster than it was served")
        await self.close(code=protocol.CLOSE_FLOODING)

    async def forward(self, event: dict[str, Any]) -> None:
        """For an event that is its own frame."""
        await self.send_json(event)

    async def ignore(self, event: dict[str, Any]) -> None:
        """For an event of a shared group that means nothing to this kind of socket."""

    # Each consumer's table extends this one: group event type -> handler.
    event_handlers: ClassVar[Mapping[str, EventHandler]] = {
        "session.ended": session_end,
        "layer.lost": layer_lose,
        "inbound.overflow": inbound_overflow,
    }

    # --- Watching an open socket

    async def ping_loop(self) -> None:
        """Ping every interval; close 4408 once a ping met nothing at all for the timeout."""
        loop = asyncio.get_running_loop()
        interval = settings.PARLEY_PING_INTERVAL
        timeout = settings.PARLEY_PING_TIMEOUT
        next_ping = loop.time() + interval
        unanswered: float | None = None
        while True:
            wake = next_ping if unanswered is None else min(next_ping, unanswered + timeout)
            await asyncio.sleep(max(0.0, wake - loop.time()))
            now = loop.time()
            if unanswered is not None and self.heard_at >= unanswered:
                unanswered = None
            if unanswered is not None and now >= unanswered + timeout:
                logger.info("Closing a socket that answered no ping for %ss", timeout)
                await self.close(code=protocol.CLOSE_NO_PONG)
                return
            if now >= next_ping:
                self.outbound.put(protocol.PING_TEXT)
                self.pongs_owed = 1
                unanswered = now if unanswered is None else unanswered
                next_ping = now + interval

    async def session_watch(self, session_key: str, expires: datetime) -> None:
        """Close 4401 at the session's expiry, or once a periodic look finds it gone."""
        recheck = settings.PARLEY_SESSION_RECHECK
        while True:
            until_expiry = (expires - timezone.now()).total_seconds()
            await asyncio.sleep(max(0.0, min(recheck, until_expiry)))
            if timezone.now() >= expires:
                expires_now = None
            else:
                try:
                    expires_now = await session_expiry(
                        session_key=session_key, user_id=self.user.pk
                    )
                except Exception:  # the database is down: look again next time
                    logger.warning("Could not re-check the session of a socket", exc_info=True)
                    continue
            if expires_now is None:
                await self.close(code=protocol.CLOSE_UNAUTHENTICATED)
                return
            expires = expires_now

    # --- Ending

    async def disconnect(self, code: int) -> None:
        await self.socket_cleanup_once()

    async def socket_cleanup_once(self) -> None:
        if self.cleaned_up:
            return
        self.cleaned_up = True
        self.outbound.cancel()
        current = asyncio.current_task()
        for task in self.transport_tasks:
            if task is not current:
                task.cancel()
        try:
            await self.socket_cleanup()
        except Exception:
            logger.exception("The clean-up of a socket failed")
        for group in self.groups_joined:
            try:
                await group_leave(group, self.channel_name)
            except Exception:  # the layer is down; its group entries expire by themselves
                logger.warning("Could not leave group %s", group)
        if self.holds_socket_slot:
            self.holds_socket_slot = False
            try:
                await socket_slot_release_async(user_id=self.user.pk)
            except Exception:
                logger.warning("Could not release a socket slot of user %s", self.user.pk)

    async def socket_cleanup(self) -> None:
        """What the consumer holds besides its groups and slot (fan-out, presence)."""
