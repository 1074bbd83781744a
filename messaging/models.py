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
    # Campfire-style: a reply quotes one earlier message of the room, no thread.
    # The quoted row outlives a soft delete, so the quote can say it was deleted.
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    pinned_at = models.DateTimeField(_("pinned at"), null=True, blank=True)
    pinned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # When its reactions or its pin last changed: a page that reconnects gets the
    # message again, as it does an edited one, since neither moves ``edited_at``.
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["room", "-id"], name="message_room_latest"),
            models.Index(
                fields=["room", "-pinned_at"],
                condition=Q(pinned_at__isnull=False),
                name="message_room_pins",
            ),
        ]
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

    @property
    def is_pinned(self) -> bool:
        return self.pinned_at is not None


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


REACTION_EMOJI_MAX_LENGTH = 64


class Reaction(models.Model):
    """``user`` reacted to ``message`` with ``emoji``, once per emoji."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions"
    )
    # The Unicode emoji itself ("👍"), not a code: a custom emoji can later be
    # stored here as ":custom-name:" without changing the column or the wire.
    emoji = models.CharField(_("emoji"), max_length=REACTION_EMOJI_MAX_LENGTH)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "user", "emoji"], name="reaction_once_per_user_and_emoji"
            )
        ]

    def __str__(self) -> str:
        return f"{self.emoji} by {self.user} on {self.message_id}"


class MessageRevision(models.Model):
    """An earlier text of an edited message, kept when the edit replaced it."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField(_("body"), max_length=BODY_MAX_LENGTH)
    html = models.TextField(_("html"), blank=True)
    # When this text was written (posted or edited), and who replaced it when.
    written_at = models.DateTimeField(_("written at"))
    replaced_at = models.DateTimeField(_("replaced at"), auto_now_add=True)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Revision of {self.message_id} written {self.written_at:%Y-%m-%d %H:%M}"
