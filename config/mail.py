"""Sending mail without ever failing the request that caused it.

A verification mail that cannot be sent (no SMTP server, a timeout) used to
turn a sign-up into an HTTP 500. Each mail is tried once at once; if that
fails it is logged and handed to one background thread that tries again after
each of ``PARLEY_MAIL_RETRY_DELAYS`` seconds, then gives up (logged too). At
most ``PARLEY_MAIL_RETRY_MAX_PENDING`` mails wait, so an outage cannot grow
memory without bound. Pending mails live in the process: a restart loses
them, until a database task queue takes this over.
"""

import heapq
import itertools
import logging
import threading
import time

from django.conf import settings
from django.core.mail import EmailMessage

logger = logging.getLogger(__name__)


class MailRetrier:
    """The mails waiting for another try, due times first, and the thread that sends them."""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, int, EmailMessage]] = []
        self._order = itertools.count()  # ties never compare two messages
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def pending(self) -> int:
        with self._wake:
            return len(self._due)

    def send(self, message: EmailMessage) -> None:
        self._attempt(message, failures=0)

    def _attempt(self, message: EmailMessage, *, failures: int) -> None:
        try:
            message.send()
        except Exception as error:
            self._failed(message, failures=failures + 1, error=error)
        else:
            if failures:
                logger.info("Mail to %s sent after %d failed tries", message.to, failures)

    def _failed(self, message: EmailMessage, *, failures: int, error: Exception) -> None:
        delays = settings.PARLEY_MAIL_RETRY_DELAYS
        if failures > len(delays):
            logger.error(
                "Mail to %s not sent after %d tries, given up: %r", message.to, failures, error
            )
            return
        with self._wake:
            if len(self._due) >= settings.PARLEY_MAIL_RETRY_MAX_PENDING:
                logger.error("Mail to %s not sent and dropped: too many mails pending", message.to)
                return
            delay = delays[failures - 1]
            logger.warning("Mail to %s not sent (%r); will retry in %s s", message.to, error, delay)
            entry = (time.monotonic() + delay, next(self._order), failures, message)
            heapq.heappush(self._due, entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="mail-retry", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._due or self._due[0][0] > time.monotonic():
                    timeout = self._due[0][0] - time.monotonic() if self._due else None
                    self._wake.wait(timeout)
                _, _, failures, message = heapq.heappop(self._due)
            self._attempt(message, failures=failures)


retrier = MailRetrier()


def mail_send(*, message: EmailMessage) -> None:
    """Send ``message`` now if possible, else later; never raises for a delivery failure."""
    retrier.send(message)
