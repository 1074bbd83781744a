"""New chat messages reach each process once, then each of its sockets by a direct write.

The usual Channels pattern puts every socket in the room's group, so the
channel layer queues each message once per receiving socket, and each
socket's consumer wakes up, dispatches the event and writes it: for a room
of 50 that is 50 queue entries, 50 task wake-ups and (on Redis) 50 decodes
for one message. Here one process-wide channel per event loop, the
``RoomFanout``, is the group's only member in its process: the layer
delivers a message once per process (one PUBLISH on Redis for all of them),
and the fan-out hands the pre-encoded frame to each local socket of the room
with a direct, usually synchronous, write (``RoomConsumer.push_text``, into the
socket's ``realtime.outbound.OutboundQueue``).

Only ``message.new`` goes this way: it is the one event sent at chat rate and
the same for every receiver. Everything else (edits, deletes, moderation,
presence) reaches each socket through its own channel.
"""

import asyncio
import logging
import weakref
from typing import Any, Protocol

from channels.layers import get_channel_layer

from realtime.events import LAYER_LOST

logger = logging.getLogger(__name__)

# Layers forget a group member after group_expiry (a day by default); the fan-out
# outlives that, so it renews its memberships well before.
GROUP_RENEW_SECONDS = 3600.0


class FanoutLost(ConnectionError):
    """This fan-out lost the channel layer; the socket should close and reconnect."""


class Receiver(Protocol):
    channel_name: str

    def push_text(self, text: str) -> None:
        """Write ``text`` to the socket without waiting (see ``RoomConsumer``)."""

    def layer_lost_push(self) -> None:
        """The process lost the channel layer: close, so the page reconnects and catches up."""


class RoomFanout:
    """The sockets of one process (one event loop), by the message group of their room."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.channel_name: str | None = None
        self.groups: dict[str, dict[str, Receiver]] = {}
        # Group membership of the fan-out channel changes one call at a time, so a
        # socket never reads history before its room's messages reach the process,
        # and a leave never undoes a concurrent join. Only a room's first join and
        # last leave wait on the layer, so one lock for all rooms costs little.
        self.lock = asyncio.Lock()
        self.task: asyncio.Task | None = None
        self.renewer: asyncio.Task | None = None
        self.lost = False

    async def join(self, group: str, receiver: Receiver) -> None:
        """Deliver the group's messages to ``receiver`` from now on (once this returns).

        Raises ``FanoutLost`` when this fan-out lost the layer meanwhile.
        """
        async with self.lock:
            if self.lost:
                raise FanoutLost(group)
            if self.channel_name is None:
                self.channel_name = await self.layer.new_channel()
                loop = asyncio.get_running_loop()
                self.task = loop.create_task(self._run())
                self.renewer = loop.create_task(self._renew())
            receivers = self.groups.setdefault(group, {})
            if not receivers:
                await self.layer.group_add(group, self.channel_name)
            receivers[receiver.channel_name] = receiver

    async def leave(self, group: str, receiver: Receiver) -> None:
        async with self.lock:
            receivers = self.groups.get(group)
            if not receivers or receivers.pop(receiver.channel_name, None) is None:
                return
            if not receivers:
                del self.groups[group]
                await self.layer.group_discard(group, self.channel_name)

    async def _run(self) -> None:
        while True:
            try:
                event = await self.layer.receive(self.channel_name)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("The room fan-out lost the channel layer")
                self._lost()
                return
            if event.get("type") == LAYER_LOST:
                self._lost()
                return
            self._deliver(event)

    def _deliver(self, event: dict[str, Any]) -> None:
        receivers = self.groups.get(event.get("group", ""))
        text = event.get("text")
        if not receivers or not isinstance(text, str):
            return
        sender = event.get("sender_channel")
        # No await in this loop, so the receivers cannot change under it.
        for channel_name, receiver in receivers.items():
            if channel_name != sender:
                try:
                    receiver.push_text(text)
                except Exception:  # one socket's failure must not stop the room's delivery
                    logger.exception("Could not hand a message to socket %s", channel_name)

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(GROUP_RENEW_SECONDS)
            for group in list(self.groups):
                try:
                    await self.layer.group_add(group, self.channel_name)
                except Exception:
                    logger.warning("Could not renew the fan-out's membership of %s", group)

    def _lost(self) -> None:
        """Close every socket that relied on this fan-out; the next join starts a new one."""
        self.lost = True
        _fanouts.pop(asyncio.get_running_loop(), None)
        if self.renewer is not None:
            self.renewer.cancel()
        groups = list(self.groups)
        for receivers in self.groups.values():
            for receiver in list(receivers.values()):
                receiver.layer_lost_push()
        self.groups.clear()
        # Out of its groups, so the dead channel stops collecting the room's messages.
        self.task = asyncio.get_running_loop().create_task(self._forget(groups))

    async def _forget(self, groups: list[str]) -> None:
        for group in groups:
            try:
                await self.layer.group_discard(group, self.channel_name)
            except Exception:  # Redis still down: the local membership is gone all the same
                logger.debug("Could not leave %s after losing the layer", group, exc_info=True)


_fanouts: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RoomFanout]" = (
    weakref.WeakKeyDictionary()
)


def room_fanout() -> RoomFanout:
    """This event loop's fan-out, on the current channel layer."""
    loop = asyncio.get_running_loop()
    layer = get_channel_layer()
    fanout = _fanouts.get(loop)
    if fanout is None or fanout.layer is not layer:
        fanout = _fanouts[loop] = RoomFanout(layer)
    return fanout
