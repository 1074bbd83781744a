"""Avatars set through the service, for tests about where they show."""

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from accounts.services import user_avatar_set
from tests.support.images import image_bytes


def avatar_file(data: bytes | None = None, name: str = "me.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data or image_bytes(size=(600, 400)), "image/png")


def with_avatar(user: User) -> User:
    """``user`` with an uploaded picture (a red 600 by 400 PNG, stored as a 256 px square)."""
    user_avatar_set(user=user, upload=avatar_file())
    return user
