"""Reads about accounts."""

from allauth.account.utils import filter_users_by_email, filter_users_by_username
from django.urls import reverse

from accounts.models import User
from realtime import events


def user_for_login(*, login: str) -> User | None:
    """The one account a log-in form's "username or e-mail" names, or None."""
    candidates = {user.pk: user for user in filter_users_by_username(login)}
    if "@" in login:
        candidates.update((user.pk, user) for user in filter_users_by_email(login))
    return next(iter(candidates.values())) if len(candidates) == 1 else None


def avatar_url(*, user_id: int, avatar: str, version: int) -> str | None:
    """Where a person's uploaded picture is served, or None while they show initials."""
    if not avatar:
        return None
    return reverse("accounts:avatar", kwargs={"user_id": user_id, "version": version})


def person_of(user: User) -> events.Person:
    """A person as every payload names them: message authors, presence, typing."""
    return events.person(
        username=user.username,
        display_name=user.shown_name,
        avatar_url=avatar_url(
            user_id=user.pk, avatar=user.avatar.name or "", version=user.avatar_version
        ),
    )


def user_with_avatar_get(*, user_id: int) -> User:
    """The user, if they have an uploaded picture; otherwise ``User.DoesNotExist``."""
    return User.objects.exclude(avatar="").get(pk=user_id)
