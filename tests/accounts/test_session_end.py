"""Every way a session ends closes the sockets it opened, within a second (B3, B12).

Sockets authenticate once, at the handshake; these tests open real sessions'
sockets through the whole ASGI stack, end the session some way, and expect the
close code 4401 (``close_code`` waits at most a second).
"""

from datetime import timedelta
from unittest import mock

import pytest
from channels.db import database_sync_to_async
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from tests.support.sockets import close_code, logged_in_client, socket_for_session

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "a-brand-new-long-secret"


def session_key_of(cookie: bytes) -> str:
    return cookie.decode().split("=", 1)[1]


@database_sync_to_async
def reload(user: User) -> User:
    return User.objects.get(pk=user.pk)


async def two_sessions_sockets(user: User):
    _, first = await database_sync_to_async(logged_in_client)(user)
    _, second = await database_sync_to_async(logged_in_client)(user)
    return (first, await socket_for_session(first)), (second, await socket_for_session(second))


async def test_setting_a_password_and_saving_closes_every_socket_of_the_user(member):
    (_, first), (_, second) = await two_sessions_sockets(member.user)
    user = await reload(member.user)

    user.set_password(NEW_PASSWORD)
    await database_sync_to_async(user.save)()

    assert await close_code(first) == 4401
    assert await close_code(second) == 4401


async def test_setting_a_password_on_an_instance_not_loaded_from_the_database_closes_sockets(
    member,
):
    (_, socket), _ = await two_sessions_sockets(member.user)
    user = User(pk=member.user.pk, username=member.user.username)

    user.set_password(NEW_PASSWORD)
    await database_sync_to_async(user.save)(update_fields=["password"])

    assert await close_code(socket) == 4401


async def test_saving_a_user_without_changing_password_or_activity_leaves_sockets_open(member):
    (_, socket), _ = await two_sessions_sockets(member.user)
    user = await reload(member.user)

    user.display_name = "Countess of Lovelace"
    await database_sync_to_async(user.save)()

    assert await socket.receive_nothing()
    await socket.disconnect()


async def test_the_admins_change_password_form_closes_the_users_sockets(member, admin_user):
    (_, socket), _ = await two_sessions_sockets(member.user)
    admin, _ = await database_sync_to_async(logged_in_client)(admin_user)

    response = await database_sync_to_async(admin.post)(
        f"/admin/accounts/user/{member.user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert await close_code(socket) == 4401


async def test_disabling_password_log_in_in_the_admin_closes_the_users_sockets(member, admin_user):
    (_, socket), _ = await two_sessions_sockets(member.user)
    admin, _ = await database_sync_to_async(logged_in_client)(admin_user)

    response = await database_sync_to_async(admin.post)(
        f"/admin/accounts/user/{member.user.pk}/password/",
        {"usable_password": "false", "unset-password": "1"},
    )

    assert response.status_code == 302
    assert not (await reload(member.user)).has_usable_password()
    assert await close_code(socket) == 4401


async def test_manage_py_changepassword_closes_the_users_sockets(member):
    (_, socket), _ = await two_sessions_sockets(member.user)

    with mock.patch("getpass.getpass", return_value=NEW_PASSWORD):
        await database_sync_to_async(call_command)("changepassword", member.user.username)

    assert await close_code(socket) == 4401


async def test_deleting_a_session_row_closes_that_sessions_sockets_only(member):
    (cookie, deleted), (_, kept) = await two_sessions_sockets(member.user)
    rows = Session.objects.filter(session_key=session_key_of(cookie))

    await database_sync_to_async(rows.delete)()

    assert await close_code(deleted) == 4401
    assert await kept.receive_nothing()
    await kept.disconnect()


async def test_clearsessions_closes_the_sockets_of_the_expired_sessions(member):
    (cookie, expired), (_, current) = await two_sessions_sockets(member.user)
    await database_sync_to_async(Session.objects.filter(session_key=session_key_of(cookie)).update)(
        expire_date=timezone.now() - timedelta(minutes=1)
    )

    await database_sync_to_async(call_command)("clearsessions")

    assert await close_code(expired) == 4401
    assert await current.receive_nothing()
    await current.disconnect()


async def test_deactivating_a_user_by_saving_closes_their_sockets(member):
    (_, socket), _ = await two_sessions_sockets(member.user)
    user = await reload(member.user)

    user.is_active = False
    await database_sync_to_async(user.save)(update_fields=["is_active"])

    assert await close_code(socket) == 4401


async def test_unticking_active_in_the_admin_closes_the_users_sockets(member, admin_user):
    (_, socket), _ = await two_sessions_sockets(member.user)
    admin, _ = await database_sync_to_async(logged_in_client)(admin_user)
    user = await reload(member.user)

    response = await database_sync_to_async(admin.post)(
        f"/admin/accounts/user/{user.pk}/change/",
        {
            "username": user.username,
            "email": user.email,
            "display_name": user.display_name,
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
            # "is_active" left out: the box is unticked.
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert not (await reload(user)).is_active
    assert await close_code(socket) == 4401


async def test_deleting_a_user_closes_their_sockets(member):
    (_, socket), _ = await two_sessions_sockets(member.user)
    user = await reload(member.user)

    await database_sync_to_async(user.delete)()

    assert await close_code(socket) == 4401


async def test_deleting_a_user_through_the_admins_confirmation_closes_their_sockets(
    member, admin_user
):
    (_, first), (_, second) = await two_sessions_sockets(member.user)
    admin, _ = await database_sync_to_async(logged_in_client)(admin_user)

    response = await database_sync_to_async(admin.post)(
        f"/admin/accounts/user/{member.user.pk}/delete/", {"post": "yes"}
    )

    assert response.status_code == 302
    assert not await database_sync_to_async(User.objects.filter(pk=member.user.pk).exists)()
    assert await close_code(first) == 4401
    assert await close_code(second) == 4401


async def test_saving_a_refreshed_user_after_a_password_change_elsewhere_leaves_sockets_open(
    member,
):
    user = await reload(member.user)
    elsewhere = await reload(member.user)
    elsewhere.set_password(NEW_PASSWORD)
    await database_sync_to_async(elsewhere.save)()
    (_, socket), _ = await two_sessions_sockets(await reload(member.user))

    await database_sync_to_async(user.refresh_from_db)()
    user.display_name = "Countess of Lovelace"
    await database_sync_to_async(user.save)()

    assert await socket.receive_nothing()
    await socket.disconnect()
