"""The broadcast path again, on the real Redis channel layer (127.0.0.1:6379).

channels_redis serializes events with msgpack, which the in-memory layer does
not: a payload that is not plain JSON data passes in memory and fails here.
These tests fail, never skip, when Redis is not running.
"""

import uuid

import pytest
from channels.layers import channel_layers

from messaging.models import Message
from tests.support.sockets import joined, send

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis]

REDIS_URL = "redis://127.0.0.1:6379/13"


REDIS_LAYERS = {
    "pubsub": "realtime.layers.RedisPubSubLayer",
    "lists": "channels_redis.core.RedisChannelLayer",
}


@pytest.fixture(params=sorted(REDIS_LAYERS))
async def redis_channel_layer(settings, request):
    """Each Redis layer the settings can choose (REDIS_CHANNEL_LAYER)."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": REDIS_LAYERS[request.param],
            # A prefix of its own keeps parallel runs from hearing each other.
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"test-{uuid.uuid4().hex[:8]}"},
        }
    }
    channel_layers.backends.clear()
    layer = channel_layers["default"]
    yield layer
    # After the sockets have closed (fixtures tear down in reverse order).
    await layer.flush()
    channel_layers.backends.clear()


async def test_redis_layer_is_really_in_use(redis_channel_layer):
    assert "Redis" in type(redis_channel_layer).__name__
    channel = await redis_channel_layer.new_channel()
    await redis_channel_layer.send(channel, {"type": "ping"})
    assert await redis_channel_layer.receive(channel) == {"type": "ping"}


async def test_broadcast_reaches_both_members_through_redis(
    redis_channel_layer, open_socket, member, other_member
):
    from channels.db import database_sync_to_async

    sender = await open_socket(member.user)
    receiver = await open_socket(other_member.user)
    await joined(sender)
    await joined(receiver)

    await send(sender, "through redis", client_id="r-1")
    mine = await sender.receive_json_from(timeout=5)
    theirs = await receiver.receive_json_from(timeout=5)

    assert mine == theirs
    stored = await database_sync_to_async(Message.objects.get)()
    assert theirs["message"]["id"] == stored.pk
    assert theirs["message"]["body"] == "through redis"
