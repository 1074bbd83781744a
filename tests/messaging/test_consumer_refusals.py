"""Every refusal of a message names it by client_id, so the page can give the text back."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from messaging.models import BODY_MAX_LENGTH, Message
from rooms.models import Membership
from tests.support.sockets import joined

pytestmark = pytest.mark.django_db(transaction=True)


def rate_limit_spent(membership: Membership, settings) -> None:
    settings.PARLEY_MESSAGE_BURST = 0


def slow_mode_waiting(membership: Membership, settings) -> None:
    membership.room.slow_mode_seconds = 60
    membership.room.save()
    membership.last_posted_at = timezone.now()
    membership.save()


def muted(membership: Membership, settings) -> None:
    membership.muted_until = timezone.now() + timedelta(minutes=10)
    membership.save()


def locked(membership: Membership, settings) -> None:
    membership.room.is_locked = True
    membership.room.save()


def archived(membership: Membership, settings) -> None:
    membership.room.archived_at = timezone.now()
    membership.room.save()


def removed_behind_the_sockets_back(membership: Membership, settings) -> None:
    Membership.objects.filter(pk=membership.pk).delete()


def nothing(membership: Membership, settings) -> None:
    pass


REFUSALS = [
    pytest.param(rate_limit_spent, "hello", "rate_limited", id="rate_limited"),
    pytest.param(slow_mode_waiting, "hello", "slow_mode", id="slow_mode"),
    pytest.param(muted, "hello", "muted", id="muted"),
    pytest.param(locked, "hello", "locked", id="locked"),
    pytest.param(archived, "hello", "archived", id="archived"),
    pytest.param(removed_behind_the_sockets_back, "hello", "forbidden", id="forbidden"),
    pytest.param(nothing, "   ", "empty", id="empty"),
    pytest.param(nothing, "x" * (BODY_MAX_LENGTH + 1), "too_long", id="too_long"),
    pytest.param(nothing, 42, "invalid", id="invalid"),
]


@pytest.mark.parametrize(("situation", "body", "code"), REFUSALS)
async def test_a_refused_message_comes_back_with_its_client_id(
    settings, open_socket, member, situation, body, code
):
    communicator = await open_socket(member.user)
    await joined(communicator)
    await database_sync_to_async(situation)(member, settings)

    await communicator.send_json_to({"type": "message.send", "body": body, "client_id": "mine-1"})
    refusal = await communicator.receive_json_from()

    assert (refusal["type"], refusal["code"], refusal["client_id"]) == ("error", code, "mine-1")
    assert refusal["detail"]
    assert not await database_sync_to_async(Message.objects.exists)()


@pytest.mark.parametrize(
    ("situation", "code"),
    [(rate_limit_spent, "rate_limited"), (slow_mode_waiting, "slow_mode")],
    ids=["rate_limited", "slow_mode"],
)
async def test_a_message_held_back_by_time_says_when_to_try_again(
    settings, open_socket, member, situation, code
):
    communicator = await open_socket(member.user)
    await joined(communicator)
    await database_sync_to_async(situation)(member, settings)

    await communicator.send_json_to({"type": "message.send", "body": "hi", "client_id": "c"})
    refusal = await communicator.receive_json_from()

    assert refusal["code"] == code
    assert isinstance(refusal["retry_after"], float | int)
    assert refusal["retry_after"] > 0


async def test_a_muted_members_refusal_says_until_when(settings, open_socket, member):
    communicator = await open_socket(member.user)
    await joined(communicator)
    await database_sync_to_async(muted)(member, settings)

    await communicator.send_json_to({"type": "message.send", "body": "hi", "client_id": "c"})
    refusal = await communicator.receive_json_from()

    assert refusal["until"].endswith("Z")
