"""Rate limits, the socket cap, frame sizes and session end, over the whole ASGI stack."""

import pytest
from channels.db import database_sync_to_async
from django.urls import reverse

from accounts.models import User
from messaging.models import Message
from tests.support.factories import PASSWORD, MessageFactory
from tests.support.sockets import (
    close_code,
    joined,
    logged_in_client,
    send,
    send_acknowledged,
    socket_for_session,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tight_limits(settings):
    settings.PARLEY_MESSAGE_BURST = 3
    settings.PARLEY_MESSAGE_RATE = 0.5
    settings.PARLEY_RATE_LIMIT_STRIKES = 2
    settings.PARLEY_MAX_SOCKETS_PER_USER = 2


async def test_a_burst_past_the_bucket_gets_rate_limited_with_retry_after(
    tight_limits, open_socket, member
):
    communicator = await open_socket(member.user)
    await joined(communicator)
    await send_acknowledged(communicator, 3, prefix="ok")

    await send(communicator, "one too many", client_id="over")
    error = await communicator.receive_json_from()

    assert (error["code"], error["client_id"]) == ("rate_limited", "over")
    assert 0 < error["retry_after"] <= 2
    assert await database_sync_to_async(Message.objects.count)() == 3


async def test_resending_an_acknowledged_message_is_not_rate_limited(
    tight_limits, open_socket, member
):
    communicator = await open_socket(member.user)
    await joined(communicator)
    await send_acknowledged(communicator, 3, prefix="ok")

    await send(communicator, "ok 0", client_id="ok-0")

    ack = await communicator.receive_json_from()
    assert (ack["type"], ack["message"]["client_id"]) == ("message.new", "ok-0")


async def test_the_rate_limit_is_per_room_and_user(tight_limits, open_socket, member, other_member):
    mine = await open_socket(member.user)
    theirs = await open_socket(other_member.user)
    await joined(mine)
    await joined(theirs)
    for n in range(3):
        await send(mine, f"m{n}", client_id=f"m{n}")
        await mine.receive_json_from()
        await theirs.receive_json_from()

    await send(theirs, "my own bucket", client_id="t0")

    assert (await theirs.receive_json_from())["type"] == "message.new"


async def test_sustained_flooding_closes_the_socket_with_4420_not_the_socket_cap_4429(
    tight_limits, open_socket, member
):
    communicator = await open_socket(member.user)
    await joined(communicator)
    await send_acknowledged(communicator, 3)

    for n in range(2):
        await send(communicator, "flood", client_id=f"f{n}")
        assert (await communicator.receive_json_from())["code"] == "rate_limited"
    await send(communicator, "flood", client_id="f-last")

    assert await close_code(communicator) == 4420


async def test_a_user_may_hold_only_so_many_sockets(tight_limits, open_socket, member):
    first = await open_socket(member.user)
    second = await open_socket(member.user)
    await joined(first)
    await joined(second)

    third = await open_socket(member.user)
    await third.connect()
    assert await close_code(third) == 4429

    await first.disconnect()
    fourth = await open_socket(member.user)
    await joined(fourth)


async def test_edits_share_the_posting_budget_and_past_it_are_refused_with_retry_after(
    tight_limits, open_socket, member, other_member
):
    message = await database_sync_to_async(MessageFactory)(
        room=member.room, author=member.user, body="original"
    )
    mine, theirs = await open_socket(member.user), await open_socket(other_member.user)
    await joined(mine)
    await joined(theirs)
    await send(mine, "a post", client_id="p")
    await mine.receive_json_from()
    await theirs.receive_json_from()
    for n in range(2):
        await mine.send_json_to({"type": "message.edit", "id": message.pk, "body": f"edit {n}"})
        assert (await mine.receive_json_from())["type"] == "message.edited"
        await theirs.receive_json_from()

    await mine.send_json_to({"type": "message.edit", "id": message.pk, "body": "one too many"})
    refused = await mine.receive_json_from()

    assert (refused["code"], refused["id"]) == ("rate_limited", message.pk)
    assert 0 < refused["retry_after"] <= 2
    assert await theirs.receive_nothing()
    assert (await database_sync_to_async(Message.objects.get)(pk=message.pk)).body == "edit 1"


async def test_a_flood_of_edits_is_refused_and_then_closed_with_4420(
    tight_limits, roomy_inbound, open_socket, member
):
    message = await database_sync_to_async(MessageFactory)(room=member.room, author=member.user)
    communicator = await open_socket(member.user)
    await joined(communicator)

    for n in range(300):
        await communicator.send_json_to({"type": "message.edit", "id": message.pk, "body": f"{n}"})
    frames = [await communicator.receive_json_from() for _ in range(5)]

    assert [frame["type"] for frame in frames] == ["message.edited"] * 3 + ["error"] * 2
    assert {frame["code"] for frame in frames[3:]} == {"rate_limited"}
    assert await close_code(communicator) == 4420


async def test_deletes_are_rate_limited_too(tight_limits, open_socket, member):
    ids = await database_sync_to_async(
        lambda: [MessageFactory(room=member.room, author=member.user).pk for _ in range(4)]
    )()
    communicator = await open_socket(member.user)
    await joined(communicator)
    for message_id in ids[:3]:
        await communicator.send_json_to({"type": "message.delete", "id": message_id})
        assert (await communicator.receive_json_from())["type"] == "message.deleted"

    await communicator.send_json_to({"type": "message.delete", "id": ids[3]})
    refused = await communicator.receive_json_from()

    assert (refused["code"], refused["id"]) == ("rate_limited", ids[3])
    assert refused["retry_after"] > 0
    remaining = Message.objects.filter(deleted_at__isnull=True).values_list("id", flat=True)
    assert await database_sync_to_async(list)(remaining) == [ids[3]]


# --- Session end -----------------------------------------------------------------


async def test_logging_out_closes_that_sessions_sockets_with_4401(member):
    browser, cookie = await database_sync_to_async(logged_in_client)(member.user)
    _phone, phone_cookie = await database_sync_to_async(logged_in_client)(member.user)
    on_browser = await socket_for_session(cookie)
    on_phone = await socket_for_session(phone_cookie)

    await database_sync_to_async(browser.post)(reverse("account_logout"))

    assert await close_code(on_browser) == 4401
    assert await on_phone.receive_nothing()
    await on_phone.disconnect()


async def test_changing_the_password_closes_the_users_sockets_with_4401(member):
    browser, cookie = await database_sync_to_async(logged_in_client)(member.user)
    socket = await socket_for_session(cookie)

    response = await database_sync_to_async(browser.post)(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-long-secret",
            "password2": "a-new-long-secret",
        },
    )

    assert response.status_code == 302
    assert await close_code(socket) == 4401


async def test_deactivating_an_account_in_the_admin_closes_its_sockets(member, admin_user):
    _, cookie = await database_sync_to_async(logged_in_client)(member.user)
    socket = await socket_for_session(cookie)
    admin, _ = await database_sync_to_async(logged_in_client)(admin_user)

    response = await database_sync_to_async(admin.post)(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [member.user.pk]},
    )

    assert response.status_code == 302
    assert await close_code(socket) == 4401
    assert not (await database_sync_to_async(User.objects.get)(pk=member.user.pk)).is_active


async def test_a_deactivated_account_cannot_post_even_if_its_socket_stayed_open(
    open_socket, member
):
    communicator = await open_socket(member.user)
    await joined(communicator)
    # Deactivated behind the consumer's back: no close event reaches the socket.
    await database_sync_to_async(User.objects.filter(pk=member.user.pk).update)(is_active=False)

    await send(communicator, "still here?", client_id="x")

    assert (await communicator.receive_json_from())["code"] == "forbidden"
