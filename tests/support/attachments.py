"""Uploading through the HTTP endpoint, as the page does."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from attachments.models import Attachment
from attachments.services import attachment_upload
from tests.support.images import image_bytes


def upload(client: Client, data: bytes, name: str = "file.bin", slug: str = "lobby"):
    return client.post(
        f"/rooms/{slug}/attachments/", {"file": SimpleUploadedFile(name, data, "image/png")}
    )


def uploaded(
    user: User, data: bytes | None = None, name: str = "cat.png", slug: str = "lobby"
) -> Attachment:
    """An upload stored through the service, for tests about what happens next."""
    return attachment_upload(
        slug=slug, user=user, upload=SimpleUploadedFile(name, data or image_bytes(), "image/png")
    )
