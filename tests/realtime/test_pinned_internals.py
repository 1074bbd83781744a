"""What realtime/ takes from its dependencies' internals, checked against the pinned versions.

No public API gives these: channels_redis 4.3 accepts ``on_disconnect`` and
``on_reconnect`` but never calls them; ``InMemoryChannelLayer`` offers no
way to sweep or size its queues; daphne hands the application no handle on
its transport. Each use sits behind one class or function in realtime/, and
each test here fails, naming the version installed and the version the code
was written against, when an upgrade changes what that code relies on.
"""

import asyncio
import hashlib
import inspect
import time
from importlib.metadata import version

from channels.layers import InMemoryChannelLayer
from channels.sessions import InstanceSessionWrapper
from channels_redis.pubsub import RedisSingleShardConnection
from daphne.server import Server
from twisted.internet.testing import StringTransport

from realtime.events import layer_lost
from realtime.layers import RedisPubSubLayer, _WatchedShard
from realtime.outbound import OutboundQueue, QueueState, daphne_flow_control

WRITTEN_AGAINST = {"channels": "4.3.2", "channels_redis": "4.3.0", "daphne": "4.2.3"}
# sha256 of channels_redis 4.3.0's RedisSingleShardConnection._do_receiving, as inspect gives it.
COPIED_RECEIVE_LOOP = "a822736dcb875e43bfe3b5461dfe0028401fb768fa5c9708cd1cde61bed321a7"


def drifted(package: str, what: str) -> str:
    return (
        f"{package} {version(package)} is installed; realtime/ was written against "
        f"{package} {WRITTEN_AGAINST[package]}: {what}"
    )


# --- channels_redis: the watched shard (realtime.layers._WatchedShard)


def test_the_receive_loop_the_watched_shard_copies_is_unchanged_upstream():
    source = inspect.getsource(RedisSingleShardConnection._do_receiving)

    assert hashlib.sha256(source.encode()).hexdigest() == COPIED_RECEIVE_LOOP, drifted(
        "channels_redis",
        "RedisSingleShardConnection._do_receiving changed. _WatchedShard._do_receiving is a "
        "copy of it that also tells every socket when the connection breaks: copy the new "
        "loop, keep that addition, and update COPIED_RECEIVE_LOOP",
    )


async def test_every_shard_of_the_redis_layer_is_watched_and_reports_a_lost_connection():
    layer = RedisPubSubLayer(hosts=["redis://127.0.0.1:6379"])  # connects on first use only
    loop_layer = layer._get_layer()
    shards = loop_layer._shards
    assert shards, drifted("channels_redis", "RedisPubSubLoopLayer no longer keeps _shards")
    assert all(isinstance(shard, _WatchedShard) for shard in shards), drifted(
        "channels_redis", "RedisPubSubLoopLayer builds its shards elsewhere than _shards"
    )
    for name in ("_pubsub", "_receive_message", "channel_layer", "host"):
        assert hasattr(shards[0], name), drifted(
            "channels_redis", f"RedisSingleShardConnection has no {name}"
        )
    assert callable(getattr(loop_layer, "_subscribe_to_channel", None)), drifted(
        "channels_redis", "RedisPubSubLoopLayer has no _subscribe_to_channel (new_channel uses it)"
    )
    # What the copied loop hands to _receive_message, and where the messages must land.
    channel = f"{loop_layer.prefix}specific.pinned"
    loop_layer.channels[channel] = asyncio.Queue()
    shards[0]._receive_message({"channel": channel.encode(), "data": layer.serialize({"n": 1})})
    shards[0]._tell_every_socket()

    assert await layer.receive(channel) == {"n": 1}
    assert await layer.receive(channel) == layer_lost()


# --- channels: the in-memory layer's storage (realtime.layers.LocalChannelLayer)


async def test_the_in_memory_layer_stores_queues_and_groups_as_the_local_layer_expects():
    layer = InMemoryChannelLayer(expiry=60)
    await layer.send("direct", {"type": "a"})
    await layer.group_add("lobby", "direct")

    queue = getattr(layer, "channels", {}).get("direct")
    assert isinstance(queue, asyncio.Queue), drifted(
        "channels", "InMemoryChannelLayer.channels no longer maps a channel to an asyncio.Queue"
    )
    entry = queue.get_nowait()
    shape = f"a queued message is {entry!r}, not (expiry as a time.time() float, message)"
    assert isinstance(entry, tuple), drifted("channels", shape)
    assert entry[1] == {"type": "a"}, drifted("channels", shape)
    assert isinstance(entry[0], float), drifted("channels", shape)
    assert entry[0] > time.time(), drifted("channels", shape)
    joined = getattr(layer, "groups", {}).get("lobby", {}).get("direct")
    assert isinstance(joined, float), drifted(
        "channels", "InMemoryChannelLayer.groups no longer maps group -> {channel: joined at}"
    )
    assert layer.get_capacity("direct") == layer.capacity


async def test_the_in_memory_layers_sweep_drops_expired_entries_in_that_shape():
    layer = InMemoryChannelLayer(expiry=60, group_expiry=60)
    layer.channels["stale"] = asyncio.Queue()
    layer.channels["stale"].put_nowait((time.time() - 1, {"type": "old"}))
    layer.groups["lobby"] = {"gone": time.time() - 120, "here": time.time()}

    assert callable(getattr(layer, "_clean_expired", None)), drifted(
        "channels", "InMemoryChannelLayer has no _clean_expired (LocalChannelLayer's sweep)"
    )
    layer._clean_expired()

    assert "stale" not in layer.channels, drifted("channels", "_clean_expired kept a stale queue")
    assert list(layer.groups["lobby"]) == ["here"], drifted(
        "channels", "_clean_expired no longer ends memberships older than group_expiry"
    )


# --- daphne and Twisted: flow control (realtime.outbound.daphne_flow_control)


class Protocol:
    def __init__(self) -> None:
        self.transport = StringTransport()


class RecordingProducer:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def pauseProducing(self) -> None:
        self.calls.append("pause")

    def resumeProducing(self) -> None:
        self.calls.append("resume")

    def stopProducing(self) -> None:
        self.calls.append("stop")


def daphnes_send(protocol: Protocol):
    """The ``send`` the pinned daphne gives an application for ``protocol``."""
    sends = []

    def application(*, scope, receive, send):
        sends.append(send)
        return asyncio.sleep(0)

    # Never run, so it listens on nothing; run() would start with no connections either.
    server = Server(application=application, endpoints=["tcp:port=0:interface=127.0.0.1"])
    server.connections = {}
    server.protocol_connected(protocol)
    server.create_application(protocol, {"type": "websocket"})
    return sends[0]


async def test_flow_control_finds_the_transport_behind_daphnes_send_and_the_session_wrapper():
    protocol = Protocol()
    earlier = RecordingProducer()
    protocol.transport.registerProducer(earlier, True)
    # What the consumer is given: daphne's send, wrapped by Channels' session middleware.
    send = InstanceSessionWrapper({"cookies": {}}, daphnes_send(protocol)).send
    queue = OutboundQueue(send, max_frames=5, max_bytes=1000, overflow_code=4503)

    assert daphne_flow_control(send, queue), drifted(
        "daphne",
        "the application's send is no longer partial(server.handle_reply, protocol) behind "
        "the session wrapper's real_send, with a Twisted transport on the protocol",
    )
    producer = protocol.transport.producer
    producer.pauseProducing()
    assert queue.paused
    producer.resumeProducing()
    assert not queue.paused
    producer.stopProducing()
    assert queue.state is QueueState.GONE
    assert earlier.calls == ["pause", "resume", "stop"]


def test_flow_control_is_off_for_a_server_that_makes_writes_wait():
    async def send(message: dict) -> None:
        pass

    queue = OutboundQueue(send, max_frames=5, max_bytes=1000, overflow_code=4503)

    assert daphne_flow_control(send, queue) is False
