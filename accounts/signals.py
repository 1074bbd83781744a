"""Where Django and allauth announce that a session ended, close its sockets.

These are the framework's own hooks for log-out and password changes (they
happen inside Django and allauth views); nothing of Parley's flows through
signals otherwise.
"""

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from accounts.events import session_sockets_close, user_sockets_close


@receiver(user_logged_out)
def close_sockets_of_logged_out_session(
    sender: Any, request: Any, user: Any, **kwargs: Any
) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        session_sockets_close(session_key=session_key)


@receiver(password_changed)
@receiver(password_set)
@receiver(password_reset)
def close_sockets_after_password_change(
    sender: Any, request: Any, user: Any, **kwargs: Any
) -> None:
    # Django invalidates every other session; sockets of the current one reconnect.
    user_sockets_close(user_id=user.pk)
