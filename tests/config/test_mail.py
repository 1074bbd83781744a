"""A mail that cannot be sent never fails its request; it is retried, boundedly (B18)."""

import logging
import time

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

from accounts.models import User
from config.mail import MailRetrier
from tests.support import NEWBIE_SIGN_UP

WAIT = 5.0


class FlakyBackend(BaseEmailBackend):
    """Refuses the first ``failures_left`` sends, as a mail server that is down would."""

    failures_left = 0
    sent: list[EmailMessage] = []

    def send_messages(self, messages: list[EmailMessage]) -> int:
        if FlakyBackend.failures_left > 0:
            FlakyBackend.failures_left -= 1
            raise ConnectionRefusedError(111, "Connection refused")
        FlakyBackend.sent.extend(messages)
        return len(messages)


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = "tests.config.test_mail.FlakyBackend"
    settings.PARLEY_MAIL_RETRY_DELAYS = [0.05, 0.1]
    settings.PARLEY_MAIL_RETRY_MAX_PENDING = 100
    FlakyBackend.sent = []
    FlakyBackend.failures_left = 0
    return FlakyBackend


def message(to: str = "ada@example.com") -> EmailMessage:
    return EmailMessage("Hello", "Body", "noreply@example.com", [to])


def wait_until(predicate) -> None:
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, "not within the wait"
        time.sleep(0.02)


def test_a_mail_that_can_be_sent_is_sent_at_once(flaky_mail):
    MailRetrier().send(message())

    assert [sent.to for sent in flaky_mail.sent] == [["ada@example.com"]]


def test_a_mail_that_failed_is_logged_and_delivered_by_a_retry(flaky_mail, caplog):
    flaky_mail.failures_left = 2
    retrier = MailRetrier()

    with caplog.at_level(logging.WARNING, logger="config.mail"):
        retrier.send(message())
        assert flaky_mail.sent == []
        wait_until(lambda: flaky_mail.sent)

    assert [sent.to for sent in flaky_mail.sent] == [["ada@example.com"]]
    assert caplog.text.count("not sent") == 2
    assert "will retry" in caplog.text
    assert retrier.pending() == 0


def test_a_mail_is_given_up_after_the_last_retry(flaky_mail, caplog):
    flaky_mail.failures_left = 10
    retrier = MailRetrier()

    with caplog.at_level(logging.WARNING, logger="config.mail"):
        retrier.send(message())
        wait_until(lambda: "given up" in caplog.text)

    assert flaky_mail.sent == []
    assert flaky_mail.failures_left == 7  # the first try and one per delay
    assert retrier.pending() == 0


def test_no_more_than_the_limit_of_mails_wait_for_a_retry(flaky_mail, settings, caplog):
    settings.PARLEY_MAIL_RETRY_DELAYS = [60]
    settings.PARLEY_MAIL_RETRY_MAX_PENDING = 2
    flaky_mail.failures_left = 10
    retrier = MailRetrier()

    with caplog.at_level(logging.WARNING, logger="config.mail"):
        for n in range(3):
            retrier.send(message(f"user{n}@example.com"))

    assert retrier.pending() == 2
    assert "user2@example.com" in caplog.text
    assert "too many mails pending" in caplog.text


@pytest.mark.django_db
def test_sign_up_succeeds_while_its_verification_mail_cannot_be_sent(client, flaky_mail, caplog):
    flaky_mail.failures_left = 1

    with caplog.at_level(logging.WARNING, logger="config.mail"):
        response = client.post("/accounts/signup/", NEWBIE_SIGN_UP)

    assert response.status_code == 302
    assert User.objects.filter(username="newbie").exists()
    assert "will retry" in caplog.text
    wait_until(lambda: flaky_mail.sent)
    assert flaky_mail.sent[0].to == ["newbie@example.com"]
