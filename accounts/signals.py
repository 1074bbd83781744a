"""Where Django announces that a session ended, close its sockets.

These are the framework's own hooks: log-out, a user saved with a new password
or deactivated (from any view, the admin, ``changepassword`` or a shell), a
session row or a user deleted (the admin, ``clearsessions``, the ORM). Nothing
of Parley's own flows through signals otherwise.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.contrib.sessions.models import Session
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.events import session_sockets_close, user_sockets_close
from accounts.models import User


@receiver(user_logged_out)
def close_sockets_of_logged_out_session(
    sender: Any, request: Any, user: Any, **kwargs: Any
) -> None:
    # Also covers session engines that keep no Session rows (cache, signed cookies).
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        session_sockets_close(session_key=session_key)


@receiver(post_save, sender=User)
def close_sockets_after_password_change_or_deactivation(
    sender: Any, instance: User, created: bool, update_fields: Any, **kwargs: Any
) -> None:
    if not created and instance.save_ended_sessions(update_fields=update_fields):
        # Sockets of the session that made the change (if it was the user's own) reconnect.
        user_sockets_close(user_id=instance.pk)
    instance.remember_stored_credentials()


@receiver(post_delete, sender=User)
def close_sockets_of_deleted_user(sender: Any, instance: User, **kwargs: Any) -> None:
    user_sockets_close(user_id=instance.pk)


@receiver(post_delete, sender=Session)
def close_sockets_of_deleted_session(sender: Any, instance: Session, **kwargs: Any) -> None:
    session_sockets_close(session_key=instance.session_key)
