"""The failed log-in limit belongs to the account, whatever names it (B15)."""

import pytest

from tests.support.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed login attempts"
ALLOWED_FAILURES = 5  # ACCOUNT_RATE_LIMITS["login_failed"]: 5/5m/key


def log_in(client, login: str, password: str):
    return client.post("/accounts/login/", {"login": login, "password": password})


@pytest.fixture
def ada(db):
    return UserFactory(username="ada", email="ada@example.com")


@pytest.mark.parametrize(
    ("failed_with", "then_with"),
    [
        ("ada", "ada@example.com"),
        ("ada@example.com", "ada"),
        ("ADA", "ada"),
        ("ada@example.com", "Ada@Example.com"),
    ],
)
def test_an_account_locked_under_one_name_is_locked_under_the_other(
    client, ada, failed_with, then_with
):
    for _ in range(ALLOWED_FAILURES):
        assert LOCKED not in log_in(client, failed_with, "wrong").content.decode()

    response = log_in(client, then_with, PASSWORD)

    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert client.get("/rooms/").status_code == 302


def test_another_account_is_not_locked_by_someone_elses_failures(client, ada):
    UserFactory(username="grace", email="grace@example.com")
    for _ in range(ALLOWED_FAILURES):
        log_in(client, "ada", "wrong")

    response = log_in(client, "grace@example.com", PASSWORD)

    assert response.status_code == 302


def test_logins_that_name_no_account_are_limited_too(client):
    for _ in range(ALLOWED_FAILURES):
        log_in(client, "nobody@example.com", "wrong")

    response = log_in(client, "nobody@example.com", "wrong")

    assert LOCKED in response.content.decode()
