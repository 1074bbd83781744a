import asyncio
import logging
from collections.abc import Iterable
from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction

from realtime.broadcast import group_send_now_or_soon, group_send_on_commit

GROUP = "room.lobby"


def announce(ids: Iterable[int]) -> None:
    """Commit one transaction per id, each announcing ``message.new`` as a service would."""
    for id_ in ids:
        with transaction.atomic():
            group_send_on_commit(GROUP, {"type": "message.new", "id": id_})


def announce_then_roll_back() -> None:
    with transaction.atomic():
        group_send_on_commit(GROUP, {"type": "message.new", "id": 1})
        transaction.set_rollback(True)


async def listener() -> str:
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(GROUP, channel)
    return channel


async def received_ids(channel: str, count: int) -> list[int]:
    layer = get_channel_layer()
    return [(await asyncio.wait_for(layer.receive(channel), 2))["id"] for _ in range(count)]


async def nothing_arrives(channel: str) -> bool:
    try:
        await asyncio.wait_for(get_channel_layer().receive(channel), 0.3)
    except TimeoutError:
        return True
    return False


def failing_on(monkeypatch, failing_id: int) -> None:
    """Make the channel layer refuse the event with ``failing_id``, and only that one."""
    layer = get_channel_layer()
    group_send = layer.group_send

    async def flaky_group_send(group: str, event: dict) -> None:
        if event["id"] == failing_id:
            raise ConnectionError("the channel layer is unreachable")
        await group_send(group, event)

    monkeypatch.setattr(layer, "group_send", flaky_group_send)


# --- From a worker thread under the event loop (consumers, ASGI views) ------------


@pytest.mark.django_db(transaction=True)
async def test_events_committed_on_a_worker_thread_all_arrive_in_commit_order():
    channel = await listener()

    await database_sync_to_async(announce)(range(50))

    assert await received_ids(channel, 50) == list(range(50))
    assert await nothing_arrives(channel)


@pytest.mark.django_db(transaction=True)
async def test_a_rolled_back_transaction_announces_nothing():
    channel = await listener()

    await database_sync_to_async(announce_then_roll_back)()

    assert await nothing_arrives(channel)


@pytest.mark.django_db(transaction=True)
async def test_the_worker_thread_does_not_wait_for_the_event_to_be_sent(monkeypatch):
    channel = await listener()
    layer = get_channel_layer()
    group_send = layer.group_send
    released = asyncio.Event()

    async def held_group_send(group: str, event: dict) -> None:
        await released.wait()
        await group_send(group, event)

    monkeypatch.setattr(layer, "group_send", held_group_send)
    try:
        # Only returns while the send is held if the thread did not wait for it.
        await asyncio.wait_for(database_sync_to_async(announce)([1]), 5)
    finally:
        released.set()

    assert await received_ids(channel, 1) == [1]


@pytest.mark.django_db(transaction=True)
async def test_events_committed_after_earlier_ones_were_sent_are_sent_too():
    channel = await listener()
    await database_sync_to_async(announce)([1, 2])
    assert await received_ids(channel, 2) == [1, 2]

    await database_sync_to_async(announce)([3, 4])

    assert await received_ids(channel, 2) == [3, 4]


@pytest.mark.django_db(transaction=True)
async def test_a_failed_send_is_logged_and_later_events_are_still_sent(monkeypatch, caplog):
    channel = await listener()
    failing_on(monkeypatch, failing_id=2)

    with caplog.at_level(logging.ERROR, logger="realtime.broadcast"):
        await database_sync_to_async(announce)([1, 2, 3])
        assert await received_ids(channel, 2) == [1, 3]

    [record] = [r for r in caplog.records if r.name == "realtime.broadcast"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "Could not send message.new to group room.lobby"
    assert isinstance(record.exc_info[1], ConnectionError)


async def test_an_event_handed_over_on_the_event_loop_itself_is_sent():
    channel = await listener()

    group_send_now_or_soon(GROUP, {"type": "message.new", "id": 1})
    group_send_now_or_soon(GROUP, {"type": "message.new", "id": 2})

    assert await received_ids(channel, 2) == [1, 2]


# --- Without an event loop (management commands, the synchronous test client) -----


@pytest.mark.django_db(transaction=True)
def test_without_an_event_loop_events_are_sent_before_the_commit_returns():
    channel = async_to_sync(listener)()

    announce([1, 2, 3])

    # A fresh event loop receives them: nothing was left waiting on another loop.
    assert async_to_sync(received_ids)(channel, 3) == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_without_an_event_loop_a_rolled_back_transaction_announces_nothing():
    channel = async_to_sync(listener)()

    announce_then_roll_back()

    assert async_to_sync(nothing_arrives)(channel)


@pytest.mark.django_db(transaction=True)
def test_without_an_event_loop_a_failed_send_is_logged_not_raised(monkeypatch, caplog):
    channel = async_to_sync(listener)()
    failing_on(monkeypatch, failing_id=2)

    with caplog.at_level(logging.ERROR):
        announce([1, 2, 3])

    assert async_to_sync(received_ids)(channel, 2) == [1, 3]
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert isinstance(record.exc_info[1], ConnectionError)


# --- Round trip through JSON where the event is made (tests and DEBUG) -------------


def announce_a_datetime() -> None:
    with transaction.atomic():
        group_send_on_commit(GROUP, {"type": "message.new", "at": datetime.now(UTC)})  # the line
        raise AssertionError("group_send_on_commit accepted a datetime")


@pytest.mark.django_db(transaction=True)
def test_an_event_redis_could_not_carry_fails_at_the_line_that_queues_it():
    """The traceback points at the producer, not at a socket after the commit."""
    channel = async_to_sync(listener)()

    with pytest.raises(TypeError, match="datetime") as raised:
        announce_a_datetime()

    assert any(
        entry.name == "announce_a_datetime" and "# the line" in str(entry.statement)
        for entry in raised.traceback
    )
    assert async_to_sync(nothing_arrives)(channel)


@pytest.mark.django_db(transaction=True)
def test_an_event_is_sent_as_its_json_round_trip():
    """What the tests' in-memory layer delivers is what Redis would: a tuple becomes a list."""
    channel = async_to_sync(listener)()

    with transaction.atomic():
        group_send_on_commit(GROUP, {"type": "message.new", "id": 1, "ids": (1, 2)})

    assert async_to_sync(get_channel_layer().receive)(channel)["ids"] == [1, 2]


@pytest.mark.django_db
def test_with_debug_events_are_round_tripped_whatever_the_setting(settings):
    settings.PARLEY_EVENTS_ROUND_TRIP = False
    settings.DEBUG = True

    with pytest.raises(TypeError, match="datetime"), transaction.atomic():
        group_send_on_commit(GROUP, {"type": "message.new", "at": datetime.now(UTC)})


@pytest.mark.django_db(transaction=True)
def test_without_debug_or_the_setting_events_are_sent_as_they_are(settings):
    """Production pays for no second encoding; the in-memory layer passes a datetime."""
    settings.PARLEY_EVENTS_ROUND_TRIP = False
    settings.DEBUG = False
    channel = async_to_sync(listener)()
    at = datetime.now(UTC)

    with transaction.atomic():
        group_send_on_commit(GROUP, {"type": "message.new", "at": at})

    assert async_to_sync(get_channel_layer().receive)(channel)["at"] == at
