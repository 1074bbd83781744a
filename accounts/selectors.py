"""Reads about accounts."""

from allauth.account.utils import filter_users_by_email, filter_users_by_username

from accounts.models import User


def user_for_login(*, login: str) -> User | None:
    """The one account a log-in form's "username or e-mail" names, or None."""
    candidates = {user.pk: user for user in filter_users_by_username(login)}
    if "@" in login:
        candidates.update((user.pk, user) for user in filter_users_by_email(login))
    return next(iter(candidates.values())) if len(candidates) == 1 else None
