from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from rooms.models import Room

BODY_MAX_LENGTH = 4000
CLIENT_ID_MAX_LENGTH = 64


class Message(models.Model):
    """A message in a room. Its id is the room's order: clients catch up by id."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages"
    )
    body = models.TextField(_("body"), max_length=BODY_MAX_LENGTH)
    # The body rendered from Markdown and sanitized, once, when written.
    html = models.TextField(_("html"), blank=True)
    # Chosen by the sending client so that a resend is recognised, not stored twice.
    client_id = models.CharField(_("client id"), max_length=CLIENT_ID_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    # Deletion is soft: the row stays for the audit trail, its body is never served again.
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["room", "-id"], name="message_room_latest")]
        constraints = [
            models.UniqueConstraint(
                fields=["room", "author", "client_id"],
                condition=~Q(client_id=""),
                name="message_client_id_once_per_author_and_room",
            )
        ]

    def __str__(self) -> str:
        return f"{self.author} in {self.room}: {self.body[:40]}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Mention(models.Model):
    """``user`` is mentioned (``@username``) in ``message``."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="mention_once_per_message")
        ]
        indexes = [models.Index(fields=["user", "-message"], name="mention_user_latest")]

    def __str__(self) -> str:
        return f"@{self.user} in {self.message_id}"
