import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DIRECT_SLUG_PREFIX = "dm-"
# The longest slow mode and the longest mute: the model, the forms, the services
# and the page all read these.
SLOW_MODE_MAX_SECONDS = 6 * 60 * 60
MUTE_MAX = timedelta(days=365)


class Room(models.Model):
    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public: listed, anyone signed in can join")
        PRIVATE = "private", _("Private: unlisted, members join by invitation")

    class Kind(models.TextChoices):
        ROOM = "room", _("Room")
        DIRECT = "direct", _("Direct messages")

    name = models.CharField(_("name"), max_length=80)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    # A direct conversation is a private room of exactly two people, never listed.
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.ROOM)
    # A conversation is found by its two people ("<lower id>:<higher id>"), never by its
    # slug: a slug is a name anyone creating a room could have chosen first. NULL on rooms,
    # so the unique constraint holds only among conversations.
    direct_key = models.CharField(  # noqa: DJ001
        max_length=41, null=True, blank=True, editable=False
    )
    description = models.TextField(_("description"), blank=True, max_length=500)
    visibility = models.CharField(
        _("visibility"), max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    is_locked = models.BooleanField(
        _("locked"), default=False, help_text=_("Only owners and moderators can post.")
    )
    slow_mode_seconds = models.PositiveIntegerField(
        _("slow mode (seconds)"),
        default=0,
        validators=[MaxValueValidator(SLOW_MODE_MAX_SECONDS)],
        help_text=_("At most one message per member in this many seconds; 0 turns it off."),
    )
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="rooms_created",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["direct_key"], name="room_one_conversation_per_pair"),
            models.CheckConstraint(
                condition=Q(kind="direct", direct_key__isnull=False)
                | Q(kind="room", direct_key__isnull=True),
                name="room_direct_key_only_on_conversations",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("rooms:detail", kwargs={"slug": self.slug})

    def clean(self) -> None:
        # "dm-" slugs belong to conversations, so no room can pass for one.
        if self.kind == self.Kind.ROOM and self.slug.startswith(DIRECT_SLUG_PREFIX):
            raise ValidationError(
                {"slug": _("Slugs starting with “dm-” are kept for direct messages.")}
            )

    @property
    def is_private(self) -> bool:
        return self.visibility == self.Visibility.PRIVATE

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def is_direct(self) -> bool:
        return self.kind == self.Kind.DIRECT


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MODERATOR = "moderator", _("Moderator")
        MEMBER = "member", _("Member")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)
    muted_until = models.DateTimeField(_("muted until"), null=True, blank=True)
    # Written only while the room is in slow mode, to keep plain rooms to one write per message.
    last_posted_at = models.DateTimeField(_("last posted at"), null=True, blank=True)
    # The newest message id this member has read: unread counts and the "new" divider.
    last_read_id = models.PositiveBigIntegerField(_("last read message"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "room"], name="membership_one_per_user_and_room"
            )
        ]
        ordering = ["joined_at"]

    def __str__(self) -> str:
        return f"{self.user} in {self.room} ({self.role})"

    @property
    def is_muted(self) -> bool:
        return self.muted_until is not None and self.muted_until > timezone.now()


class Ban(models.Model):
    """Keeps a user out of a room (no joining, no invitations) until lifted or expired."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="bans")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="room_bans"
    )
    banned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("banned at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "user"], name="ban_one_per_user")]

    def __str__(self) -> str:
        return f"{self.user} banned from {self.room}"


def invitation_token() -> str:
    return secrets.token_urlsafe(24)


class Invitation(models.Model):
    """A way into a room: a shareable link, or addressed to one user."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=64, unique=True, default=invitation_token)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    invited_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    max_uses = models.PositiveIntegerField(_("use limit"), null=True, blank=True)
    uses = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=models.F("max_uses")),
                name="invitation_uses_within_limit",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation to {self.room}"

    def get_absolute_url(self) -> str:
        return reverse("rooms:invitation", kwargs={"token": self.token})
