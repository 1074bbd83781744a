"""Writes about accounts."""

from django.db import transaction

from accounts.events import user_sockets_close
from accounts.models import User


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Stop the user from signing in, and close the sockets they have open."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    user_sockets_close(user_id=user.pk)
