"""What every Parley socket does between its ASGI server and its page, whatever it carries.

Bounded queues both ways (realtime/outbound.py), one close, a heartbeat that
notices a connection gone silent, a periodic look at the session, and a
clean-up that runs exactly once however the socket ends: a disconnect, a
write the server refused, a crash of a handler or a cancellation by the server.
"""

import asyncio
import logging
import time
from datetime import datetime
from typing import Any

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
from realtime.outbound import InboundBuffer, OutboundQueue, daphne_flow_control

logger = logging.getLogger(__name__)

INBOUND_OVERFLOW = {"type": "inbound.overflow"}


class SocketTransport:
    """Mixed into a websocket consumer, before Channels' class."""

    outbound: OutboundQueue
    inbound: InboundBuffer
    cleaned_up = False
    holds_socket_slot = False
    closing = False
    heard_at = 0.0
    # Pongs owed for pings sent: only those are taken off the line before the
    # consumer; any other pong counts against the socket's frame budget.
    pongs_owed = 0
    # Refused frames in a row, and the socket's own frame budget (frame_budget_take).
    strikes = 0
    frame_budget: FrameBudget | None = None
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
            overflow_event=INBOUND_OVERFLOW,
            on_frame=self.frame_heard,
        )
        self.heard_at = asyncio.get_running_loop().time()
        try:
            await super().__call__(scope, self.inbound.get, send)
        finally:
            self.inbound.stop()
            # Also after a crash or a cancellation, which never reach disconnect().
            await self.socket_cleanup_once()

    # --- Writing

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        """Every frame, of every kind, goes through the bounded queue, in order."""
        if text_data is not None:
            self.outbound.put(text_data)
        if close:
            await self.close()

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        """Close once, after the frames already queued (a ``removed`` frame, say)."""
        self.close_now(1000 if code is None or code is True else code)

    def close_now(self, code: int) -> None:
        if not self.closing:
            self.closing = True
            self.outbound.close(code)

    def socket_gone(self) -> None:
        """The server refused a write: the client is gone, whether or not a disconnect follows."""
        self.transport_tasks += (asyncio.ensure_future(self.socket_cleanup_once()),)

    # --- Reading

    def frame_heard(self, message: dict[str, Any]) -> bool:
        """Any frame proves the connection alive; a ``pong`` that a ping asked for is consumed."""
        self.heard_at = asyncio.get_running_loop().time()
        if self.pongs_owed and protocol.is_pong(message.get("text")):
            self.pongs_owed -= 1
            return True
        return False

    async def inbound_overflow(self, event: dict[str, Any]) -> None:
        logger.warning("Closing a socket that sent frames faster than it was served")
        await self.close(code=protocol.CLOSE_FLOODING)

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
        await self.refuse(
            protocol.error_frame(
                code=protocol.ErrorCode.RATE_LIMITED,
                detail=_("You are sending frames too fast; wait %(s).1f s.") % {"s": wait},
                retry_after=retry_after_seconds(wait),
            ),
            answer=self.frame_budget.overdrawn == 1,
        )
        return False

    async def refuse(self, frame: dict[str, Any], *, answer: bool = True) -> None:
        """Answer a refused frame with ``frame``; too many refusals in a row close the socket.

        A page whose frames are refused stops and waits; a client that keeps
        sending them is flooding, and each refusal still costs an answer.
        """
        self.strikes += 1
        if self.strikes > settings.PARLEY_RATE_LIMIT_STRIKES:
            await self.close(code=protocol.CLOSE_FLOODING)
        elif answer:
            await self.send_json(frame)

    # --- The user's socket slots (PARLEY_MAX_SOCKETS_PER_USER, room pages and sidebars together)

    async def socket_slot_take(self) -> bool:
        """Take one of the user's socket slots; False, and closed with 4429, when none is free."""
        if not await socket_slot_acquire_async(user_id=self.user.pk):
            await self.close(code=protocol.CLOSE_TOO_MANY)
            return False
        self.holds_socket_slot = True
        return True

    # --- Watching an open socket

    async def transport_start(self) -> bool:
        """Start the heartbeat and the session watch; False (and closed 4401) without a session.

        The session's expiry is read now, so the socket closes when it ends.
        """
        session_key = getattr(self.scope.get("session"), "session_key", None)
        tasks = [asyncio.ensure_future(self.ping_loop())]
        if session_key:
            try:
                expires = await session_expiry(session_key=session_key, user_id=self.user.pk)
            except Exception:
                tasks[0].cancel()
                raise
            if expires is None:
                tasks[0].cancel()
                await self.close(code=protocol.CLOSE_UNAUTHENTICATED)
                return False
            tasks.append(asyncio.ensure_future(self.session_watch(session_key, expires)))
        self.transport_tasks += tuple(tasks)
        return True

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
        if self.holds_socket_slot:
            self.holds_socket_slot = False
            try:
                await socket_slot_release_async(user_id=self.user.pk)
            except Exception:
                logger.warning("Could not release a socket slot of user %s", self.user.pk)

    async def socket_cleanup(self) -> None:
        """Leave groups, presence and slots; each consumer says what it holds."""
