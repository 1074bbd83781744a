"""Sending channel-layer group events once the data they announce is committed.

Services run on a worker thread (``database_sync_to_async`` in consumers,
Django's thread for sync views). The obvious ``async_to_sync(group_send)``
in an ``on_commit`` callback makes that thread wait until the event loop has
handed the event to the channel layer; in a consumer that thread is the one
every socket of the process shares for the database, so each message kept it
idle for the length of a broadcast (12 % of the embedded server's time under
load). Instead, when the caller runs under an event loop (any ASGI request
or consumer), the event is queued to that loop and the thread returns at
once. One drainer per loop sends the queue in order, so events leave in the
order their transactions committed. Without a loop (management commands,
tests' synchronous client) the event is sent before returning, as before.
"""

import asyncio
import json
import logging
import weakref
from typing import Any
from uuid import uuid4

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)

_outboxes: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Outbox]" = (
    weakref.WeakKeyDictionary()
)


class _Outbox:
    """Group events waiting for one event loop to send them, in order."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[str, dict[str, Any]]] | None = None
        self.drainer: asyncio.Task | None = None

    def put(self, group: str, event: dict[str, Any]) -> None:
        """Called on the loop's thread."""
        if self.queue is None:
            self.queue = asyncio.Queue()
        self.queue.put_nowait((group, event))
        if self.drainer is None or self.drainer.done():
            self.drainer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        layer = get_channel_layer()
        while not self.queue.empty():
            group, event = self.queue.get_nowait()
            try:
                await layer.group_send(group, event)
            except Exception:
                # The data is stored; pages catch up by id when they reconnect.
                logger.exception("Could not send %s to group %s", event.get("type"), group)


def _caller_loop() -> asyncio.AbstractEventLoop | None:
    """The running event loop that is waiting on this thread, if any."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is not None and loop.is_running() and not loop.is_closed():
        return loop
    return None


def group_send_now_or_soon(group: str, event: dict[str, Any]) -> None:
    """Hand ``event`` to the channel layer without making this thread wait for it."""
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _caller_loop()
    if loop is None:
        async_to_sync(layer.group_send)(group, event)
        return
    outbox = _outboxes.get(loop)
    if outbox is None:
        outbox = _outboxes.setdefault(loop, _Outbox())
    try:
        loop.call_soon_threadsafe(outbox.put, group, event)
    except RuntimeError:  # the loop closed in the meantime (shutdown)
        logger.warning("Dropped %s to group %s: the server is stopping", event.get("type"), group)


def group_send_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to ``group`` after the current transaction commits.

    A rolled-back change is therefore never announced. Channel layers deliver
    group messages at most once, so a failure is logged, not raised: the data
    is already stored and clients catch up by message id.
    """
    if settings.DEBUG or settings.PARLEY_EVENTS_ROUND_TRIP:
        # Here, not when it is delivered: a value that would not survive Redis
        # (a datetime, a lazy translation, a model) fails with a traceback that
        # points at the code that made the event, not at a socket much later.
        event = json.loads(json.dumps(event))
    transaction.on_commit(lambda: group_send_now_or_soon(group, event), robust=True)


# --- For consumers: what a socket does with the layer, so nothing else touches it


async def group_send(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` now, for what is not stored and so has no commit to wait for (typing)."""
    await get_channel_layer().group_send(group, event)


async def group_join(group: str, channel_name: str) -> None:
    await get_channel_layer().group_add(group, channel_name)


async def group_leave(group: str, channel_name: str) -> None:
    await get_channel_layer().group_discard(group, channel_name)


async def layer_round_trip() -> None:
    """Raise unless the channel layer answers (``/healthz``)."""
    layer = get_channel_layer()
    if layer is None:
        raise LookupError("no channel layer is configured")
    # A group nobody is in: every layer's group_send makes its round trip to the
    # backend (Redis) and leaves nothing behind, whichever Redis layer is chosen;
    # reading back from a channel would need a subscription the pub/sub layer
    # only releases when a receive is cancelled.
    await layer.group_send(f"healthz-{uuid4().hex}", {"type": "healthz.ping"})
