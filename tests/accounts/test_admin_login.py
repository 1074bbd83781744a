"""The admin's log-in page is throttled like allauth's (B10)."""

import pytest

from tests.support.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed login attempts"


def admin_log_in(client, username: str, password: str, ip: str = "10.0.0.1"):
    return client.post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


@pytest.fixture
def staff(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_the_right_password_logs_a_staff_member_in(client, staff):
    assert admin_log_in(client, "root", PASSWORD).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_after_the_accounts_failures_even_the_right_password_is_refused(client, staff):
    for _ in range(5):
        response = admin_log_in(client, "root", "wrong")
        assert "Please enter the correct username and password" in response.content.decode()

    response = admin_log_in(client, "root", PASSWORD, ip="10.0.0.2")

    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_failures_on_the_admin_and_on_the_log_in_page_share_the_accounts_limit(client, staff):
    for _ in range(5):
        client.post("/accounts/login/", {"login": "root", "password": "wrong"})

    assert LOCKED in admin_log_in(client, "root", PASSWORD).content.decode()


def test_successful_log_ins_do_not_count_against_the_limit(client, staff):
    for _ in range(8):
        assert admin_log_in(client, "root", PASSWORD).status_code == 302
        client.post("/admin/logout/")

    assert admin_log_in(client, "root", PASSWORD).status_code == 302


def test_a_non_staff_account_is_still_refused_by_the_admin(client):
    UserFactory(username="ada")

    response = admin_log_in(client, "ada", PASSWORD)

    assert response.status_code == 200
    assert "staff account" in response.content.decode()
