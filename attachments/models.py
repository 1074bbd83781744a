import secrets
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from messaging.models import Message
from rooms.models import Room

NAME_MAX_LENGTH = 200


def stored_name(_instance: "Attachment", filename: str) -> str:
    """A random name: nothing the uploader chose reaches the storage, not even the extension
    (the service passes one decided from the content)."""
    suffix = PurePath(filename).suffix
    return f"attachments/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{suffix}"


class Attachment(models.Model):
    """A file uploaded to a room, unused until a message of its uploader claims it."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="attachments")
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    # The uploader's file name, cleaned; shown and offered when saving, never stored by.
    name = models.CharField(_("name"), max_length=NAME_MAX_LENGTH)
    file = models.FileField(_("file"), upload_to=stored_name, max_length=255)
    # Decided from the content, never from the name or the browser's word.
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)
    thumbnail = models.FileField(_("thumbnail"), upload_to=stored_name, max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The clean-up's question: unused uploads older than a day.
            models.Index(
                fields=["created_at"], condition=Q(message__isnull=True), name="attachment_unused"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.content_type}, {self.size} bytes)"

    @property
    def is_image(self) -> bool:
        return self.width is not None
