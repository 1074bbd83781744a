import asyncio

import pytest
from channels.exceptions import ChannelFull

from realtime.layers import LocalChannelLayer
from tests.support.processes import run_configured


@pytest.fixture
def layer() -> LocalChannelLayer:
    return LocalChannelLayer()


async def nothing_arrives(layer: LocalChannelLayer, channel: str) -> bool:
    try:
        await asyncio.wait_for(layer.receive(channel), 0.1)
    except TimeoutError:
        return True
    return False


async def test_a_message_sent_to_a_channel_is_received(layer):
    channel = await layer.new_channel()

    await layer.send(channel, {"type": "message.new", "body": "hello"})

    assert await layer.receive(channel) == {"type": "message.new", "body": "hello"}


async def test_group_send_reaches_every_member_and_no_one_else(layer):
    ada, grace, mallory = [await layer.new_channel() for _ in range(3)]
    await layer.group_add("room.lobby", ada)
    await layer.group_add("room.lobby", grace)

    await layer.group_send("room.lobby", {"type": "message.new", "id": 1})

    assert await layer.receive(ada) == {"type": "message.new", "id": 1}
    assert await layer.receive(grace) == {"type": "message.new", "id": 1}
    assert await nothing_arrives(layer, mallory)


async def test_a_discarded_channel_no_longer_receives_group_messages(layer):
    ada, grace = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room.lobby", ada)
    await layer.group_add("room.lobby", grace)

    await layer.group_discard("room.lobby", ada)
    await layer.group_send("room.lobby", {"type": "message.new", "id": 1})

    assert await layer.receive(grace) == {"type": "message.new", "id": 1}
    assert await nothing_arrives(layer, ada)


async def test_group_send_to_an_empty_or_unknown_group_does_nothing(layer):
    channel = await layer.new_channel()
    await layer.group_add("room.lobby", channel)
    await layer.group_discard("room.lobby", channel)

    await layer.group_send("room.lobby", {"type": "message.new"})
    await layer.group_send("room.nowhere", {"type": "message.new"})

    assert await nothing_arrives(layer, channel)


async def test_sending_to_a_full_channel_raises_channel_full():
    layer = LocalChannelLayer(capacity=2)
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "message.new", "id": 1})
    await layer.send(channel, {"type": "message.new", "id": 2})

    with pytest.raises(ChannelFull):
        await layer.send(channel, {"type": "message.new", "id": 3})

    assert await layer.receive(channel) == {"type": "message.new", "id": 1}
    assert await layer.receive(channel) == {"type": "message.new", "id": 2}
    assert await nothing_arrives(layer, channel)


async def test_group_send_skips_a_full_member_but_reaches_the_others():
    layer = LocalChannelLayer(capacity=1)
    slow, ada, grace = [await layer.new_channel() for _ in range(3)]
    for channel in (slow, ada, grace):
        await layer.group_add("room.lobby", channel)
    await layer.send(slow, {"type": "message.new", "id": 1})

    await layer.group_send("room.lobby", {"type": "message.new", "id": 2})

    assert await layer.receive(ada) == {"type": "message.new", "id": 2}
    assert await layer.receive(grace) == {"type": "message.new", "id": 2}
    assert await layer.receive(slow) == {"type": "message.new", "id": 1}
    assert await nothing_arrives(layer, slow)


async def test_an_expired_message_is_not_received():
    layer = LocalChannelLayer(expiry=0.05)
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "message.new", "id": 1})
    await asyncio.sleep(0.1)

    assert await nothing_arrives(layer, channel)


async def test_a_message_that_expires_between_sweeps_is_not_received_either():
    layer = LocalChannelLayer(expiry=0.05)
    channel = await layer.new_channel()
    # Any receive sweeps expired messages; the next sweep is then seconds away.
    assert await nothing_arrives(layer, await layer.new_channel())

    await layer.send(channel, {"type": "message.new", "id": 1})
    await asyncio.sleep(0.1)

    assert await nothing_arrives(layer, channel)


async def test_an_expired_group_message_is_not_received():
    layer = LocalChannelLayer(expiry=0.05)
    channel = await layer.new_channel()
    await layer.group_add("room.lobby", channel)
    await layer.group_send("room.lobby", {"type": "message.new", "id": 1})
    await asyncio.sleep(0.1)

    assert await nothing_arrives(layer, channel)


async def test_a_receiver_changing_its_message_does_not_change_another_receivers(layer):
    ada, grace = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room.lobby", ada)
    await layer.group_add("room.lobby", grace)
    await layer.group_send("room.lobby", {"type": "message.new", "body": "hello"})

    received = await layer.receive(ada)
    received["body"] = "changed"
    received["extra"] = True
    del received["type"]

    assert await layer.receive(grace) == {"type": "message.new", "body": "hello"}


@pytest.mark.parametrize("how", ["send", "group_send"])
async def test_the_sender_changing_its_message_afterwards_changes_nothing_received(layer, how):
    channel = await layer.new_channel()
    await layer.group_add("room.lobby", channel)
    event = {"type": "message.new", "message": {"body": "hello", "mentions": ["ada"]}}

    if how == "send":
        await layer.send(channel, event)
    else:
        await layer.group_send("room.lobby", event)
    event["message"]["body"] = "changed"
    event["message"]["mentions"].append("grace")

    assert await layer.receive(channel) == {
        "type": "message.new",
        "message": {"body": "hello", "mentions": ["ada"]},
    }


async def test_messages_from_one_sender_arrive_in_the_order_sent(layer):
    direct, member = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("room.lobby", member)

    for i in range(50):
        await layer.send(direct, {"type": "message.new", "id": i})
        await layer.group_send("room.lobby", {"type": "message.new", "id": i})

    assert [(await layer.receive(direct))["id"] for _ in range(50)] == list(range(50))
    assert [(await layer.receive(member))["id"] for _ in range(50)] == list(range(50))


NOT_DICTS = ["message.new", ["message.new"], None]


@pytest.mark.parametrize("message", NOT_DICTS)
async def test_send_refuses_a_message_that_is_not_a_dict(layer, message):
    channel = await layer.new_channel()

    with pytest.raises(TypeError):
        await layer.send(channel, message)


@pytest.mark.parametrize("message", NOT_DICTS)
async def test_group_send_refuses_a_message_that_is_not_a_dict(layer, message):
    await layer.group_add("room.lobby", await layer.new_channel())

    with pytest.raises(TypeError):
        await layer.group_send("room.lobby", message)


def project_setting(expression: str, env: dict[str, str]) -> str:
    """Evaluate ``expression`` in a fresh process configured by ``env`` only."""
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    return run_configured(code, env=env, timeout=60).strip()


def test_without_redis_the_project_uses_the_local_layer():
    # The test suite swaps the layer for every test, so the project's own setting is read fresh.
    backend = project_setting("settings.CHANNEL_LAYERS['default']['BACKEND']", env={})

    assert backend == "realtime.layers.LocalChannelLayer"


def test_with_redis_the_project_uses_the_redis_pubsub_layer():
    backend = project_setting(
        "settings.CHANNEL_LAYERS['default']['BACKEND']",
        env={"REDIS_URL": "redis://127.0.0.1:6379/0"},
    )

    assert backend == "realtime.layers.RedisPubSubLayer"


def test_redis_list_layer_on_request():
    backend = project_setting(
        "settings.CHANNEL_LAYERS['default']['BACKEND']",
        env={"REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_CHANNEL_LAYER": "lists"},
    )

    assert backend == "channels_redis.core.RedisChannelLayer"
