from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class AuditLogEntry(models.Model):
    """One moderation action: who did what to whom, where, why and when."""

    class Action(models.TextChoices):
        MESSAGE_DELETE = "message.delete", _("deleted a message")
        MEMBER_KICK = "member.kick", _("kicked")
        MEMBER_BAN = "member.ban", _("banned")
        MEMBER_UNBAN = "member.unban", _("unbanned")
        MEMBER_MUTE = "member.mute", _("muted")
        MEMBER_UNMUTE = "member.unmute", _("unmuted")
        MEMBER_PROMOTE = "member.promote", _("made moderator")
        MEMBER_DEMOTE = "member.demote", _("removed moderator from")
        ROOM_TRANSFER = "room.transfer", _("transferred ownership to")
        ROOM_UPDATE = "room.update", _("changed the room settings")
        ROOM_LOCK = "room.lock", _("locked the room")
        ROOM_UNLOCK = "room.unlock", _("unlocked the room")
        ROOM_SLOW_MODE = "room.slow_mode", _("set slow mode")
        ROOM_ARCHIVE = "room.archive", _("archived the room")
        ROOM_UNARCHIVE = "room.unarchive", _("unarchived the room")
        INVITATION_CREATE = "invitation.create", _("created an invitation")
        INVITATION_REVOKE = "invitation.revoke", _("revoked an invitation")

    room = models.ForeignKey("rooms.Room", on_delete=models.CASCADE, related_name="audit_log")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(max_length=32, choices=Action.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    target_message = models.ForeignKey(
        "messaging.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit log entries"

    def __str__(self) -> str:
        return f"{self.actor} {self.action_text} in {self.room}"

    @property
    def action_text(self) -> str:
        """What was done, with the value set where the action has one."""
        seconds = self.details.get("seconds")
        if self.action == self.Action.ROOM_SLOW_MODE and isinstance(seconds, int):
            if seconds == 0:
                return gettext("turned slow mode off")
            return gettext("set slow mode to %(seconds)d s") % {"seconds": seconds}
        return self.get_action_display()
