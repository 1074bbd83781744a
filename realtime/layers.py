"""Parley's channel layers.

Without ``REDIS_URL``: Channels' in-memory layer without its per-call scans.

``channels.layers.InMemoryChannelLayer`` walks every queued message of every
channel and every member of every group on *each* ``receive`` and
``group_send`` to expire old entries, starts a task per receiver in
``group_send`` and deep-copies the message once per receiver. With 500 open
sockets that walk ran ~25,000 times per chat message and was the largest
single cost of the embedded server under load (py-spy, bench/README.md).

This layer keeps the same behaviour (capacity, message expiry, group
expiry, ``ChannelFull``) and changes only when the work is done: expired
entries are swept at most once per ``SWEEP_INTERVAL`` seconds, a
``group_send`` copies the message once and queues a shallow copy per
receiver directly. Handlers must therefore not mutate nested values of an
event they receive, which none of Parley's do.
"""

import asyncio
import contextlib
import logging
import time
import uuid
from copy import deepcopy
from typing import Any

from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer
from channels_redis.pubsub import (
    RedisPubSubChannelLayer,
    RedisPubSubLoopLayer,
    RedisSingleShardConnection,
)

from realtime.events import layer_lost

logger = logging.getLogger(__name__)

SWEEP_INTERVAL = 5.0


class LocalChannelLayer(InMemoryChannelLayer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._next_sweep = 0.0

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        if not isinstance(message, dict):
            raise TypeError("message is not a dict")
        self.require_valid_channel_name(channel)
        self._put(channel, deepcopy(message), time.time() + self.expiry)

    async def receive(self, channel: str) -> dict[str, Any]:
        self.require_valid_channel_name(channel)
        self._sweep_if_due()
        queue = self._queue_for(channel)
        try:
            while True:
                expires, message = await queue.get()
                if expires >= time.time():
                    return message
                # Expired while nobody read it: dropped, as the parent layer does.
        except BaseException:
            # A consumer's receive is cancelled when it stops: forget its empty queue.
            # (The parent drops a queue whenever it runs empty, so every delivery to
            # an idle socket built a new one; a live socket's queue is kept here.)
            self._forget_if_empty(channel)
            raise

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        if not isinstance(message, dict):
            raise TypeError("message is not a dict")
        self.require_valid_group_name(group)
        self._sweep_if_due()
        members = self._members(group)
        if not members:
            return
        message = deepcopy(message)
        expires = time.time() + self.expiry
        for channel in members:  # no await in this loop: the group cannot change under it
            # As in every Channels layer, a receiver whose queue is full misses group messages.
            with contextlib.suppress(ChannelFull):
                self._put(channel, dict(message), expires)

    def _put(self, channel: str, message: dict[str, Any], expires: float) -> None:
        try:
            self._queue_for(channel).put_nowait((expires, message))
        except asyncio.QueueFull:
            raise ChannelFull(channel) from None

    # --- The parent's storage, touched only below. Not an interface: channels 4.3's
    # InMemoryChannelLayer keeps ``channels`` (name -> asyncio.Queue of (expiry,
    # message)) and ``groups`` (group -> {channel: joined at}), swept by
    # ``_clean_expired``; tests/realtime/test_pinned_internals.py fails, naming the
    # versions, when an upgrade changes that.

    def _sweep_if_due(self) -> None:
        now = time.monotonic()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_INTERVAL
            self._clean_expired()

    def _queue_for(self, channel: str) -> asyncio.Queue:
        queue = self.channels.get(channel)
        if queue is None:
            queue = self.channels[channel] = asyncio.Queue(maxsize=self.get_capacity(channel))
        return queue

    def _forget_if_empty(self, channel: str) -> None:
        queue = self.channels.get(channel)
        if queue is not None and queue.empty():
            del self.channels[channel]

    def _members(self, group: str) -> dict[str, float]:
        return self.groups.get(group) or {}


# ---------------------------------------------------------------------------
# With REDIS_URL: channels_redis' pub/sub layer, told to close sockets when Redis goes away
# ---------------------------------------------------------------------------


class _WatchedShard(RedisSingleShardConnection):
    """channels_redis' shard connection, whose receive loop also reports a broken connection.

    The pub/sub layer logs a broken connection and resubscribes when Redis is
    back, silently: everything published in between never reaches this
    process's sockets, and their pages cannot know they missed it. Closing
    the sockets makes the pages reconnect and catch up by id, which is what
    the list-based layer's failing receive did by itself.

    channels_redis 4.3 accepts ``on_disconnect`` and ``on_reconnect`` but never
    calls them, so there is no hook: this loop is 4.3.0's ``_do_receiving``
    with that one addition (``_tell_every_socket``).
    tests/realtime/test_pinned_internals.py fails when an upgrade changes the
    upstream loop or the names it and ``RedisPubSubLayer`` use.
    """

    async def _do_receiving(self) -> None:
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=0.1
                    )
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (TimeoutError, asyncio.CancelledError, GeneratorExit):
                raise
            except Exception:
                logger.warning("Lost the pub/sub connection to Redis", exc_info=True)
                self._tell_every_socket()
                await asyncio.sleep(1)

    def _tell_every_socket(self) -> None:
        lost = self.channel_layer.channel_layer.serialize(layer_lost())
        for queue in self.channel_layer.channels.values():
            queue.put_nowait(lost)


class RedisPubSubLayer(RedisPubSubChannelLayer):
    """One PUBLISH per group event; each process hands it to its own members of the group."""

    async def new_channel(self, prefix: str = "specific.") -> str:
        """A channel name, subscribed when Redis answers.

        Channels calls this before the consumer runs. The pub/sub layer
        subscribes here, so with Redis down the handshake itself would fail;
        instead the name is returned, and the consumer's first group join fails
        and closes the socket with 4503 ("try again later"), as with the list
        layer.
        """
        layer = self._get_layer()
        channel = f"{layer.prefix}{prefix}{uuid.uuid4().hex}"
        try:
            await layer._subscribe_to_channel(channel)
        except Exception:
            logger.warning("Could not subscribe channel %s: Redis did not answer", channel)
        return channel

    def _get_layer(self) -> RedisPubSubLoopLayer:
        layer = super()._get_layer()
        if not getattr(layer, "watched", False):
            layer._shards = [_WatchedShard(shard.host, layer) for shard in layer._shards]
            layer.watched = True
        return layer
