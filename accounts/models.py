import secrets
from collections.abc import Collection
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


def avatar_stored_name(_instance: "User", _filename: str) -> str:
    """A random name, so a replaced picture never shares a stored name with the old one."""
    return f"avatars/{secrets.token_hex(16)}.webp"


class User(AbstractUser):
    """A Parley user; ``display_name`` is what others see beside messages."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)
    # A square WebP made by accounts.services.user_avatar_set, never the uploaded file.
    # Defaults in the database too, so code that predates the columns (a deploy's old
    # processes, a migration test's old models) can still add users.
    avatar = models.FileField(
        _("avatar"),
        upload_to=avatar_stored_name,
        max_length=255,
        blank=True,
        default="",
        db_default="",
    )
    # In the avatar's URL and raised on every change, so a picture can be cached for long.
    avatar_version = models.PositiveIntegerField(_("avatar version"), default=0, db_default=0)

    def __str__(self) -> str:
        return self.username

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any) -> "User":
        user = super().from_db(db, field_names, values)
        user.remember_stored_credentials()
        return user

    def refresh_from_db(self, *args: Any, **kwargs: Any) -> None:
        super().refresh_from_db(*args, **kwargs)
        self.remember_stored_credentials()

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username

    def remember_stored_credentials(self) -> None:
        """Note what the database holds now, so a later save can tell what it changed."""
        # From __dict__: reading a deferred field here would cost a query per user loaded.
        self._stored_credentials = {
            name: self.__dict__[name] for name in ("password", "is_active") if name in self.__dict__
        }

    def save_ended_sessions(self, *, update_fields: Collection[str] | None) -> bool:
        """Whether the save that just ran ended the user's sessions: a new password, or deactivated.

        Django checks a hash of the stored password hash on every request, so any new
        hash (the admin's form, ``changepassword``, a reset, a hasher upgrade) ends every
        other session of the user, and their sockets must end with them.
        """
        stored = getattr(self, "_stored_credentials", {})

        def saved(name: str) -> bool:
            return update_fields is None or name in update_fields

        if "password" in stored:
            new_password = self.password != stored["password"]
        else:
            new_password = self._password is not None  # set_password() on an unloaded instance
        deactivated = stored.get("is_active", True) and not self.is_active
        return (saved("password") and new_password) or (saved("is_active") and deactivated)


def user_display(user: User) -> str:
    """How allauth names a user in its pages and messages."""
    return user.shown_name
