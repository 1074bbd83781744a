from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A Parley user; ``display_name`` is what others see beside messages."""

    display_name = models.CharField(_("display name"), max_length=64, blank=True)

    def __str__(self) -> str:
        return self.username

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username


def user_display(user: User) -> str:
    """How allauth names a user in its pages and messages."""
    return user.shown_name
