"""Invitations: the way into private rooms."""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import AuditLogEntry
from audit.services import audit_record
from rooms.models import Invitation, Membership
from rooms.permissions import Action, Actor, Denial, PermissionDenied, ban_denial, check
from rooms.selectors import ban_get_active, invitations_usable, membership_get
from rooms.services.members import ensure_not_banned, membership_create


class InvitationUnusable(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@transaction.atomic
def invitation_create(
    *,
    actor: Actor,
    invited_user: User | None = None,
    expires_at: datetime | None = None,
    max_uses: int | None = None,
) -> Invitation:
    """A link anyone holding it can use, or an invitation addressed to one user."""
    check(actor, Action.INVITE)
    room = actor.room
    if invited_user is not None:
        ban = ban_get_active(room=room, user=invited_user)
        if (refused := ban_denial(ban, of_someone_else=True)) is not None:
            raise PermissionDenied(refused)
        if membership_get(room=room, user=invited_user) is not None:
            raise PermissionDenied(Denial("invalid", _("That user is already a member.")))
        max_uses = 1
    invitation = Invitation.objects.create(
        room=room,
        created_by=actor.user,
        invited_user=invited_user,
        expires_at=expires_at,
        max_uses=max_uses,
    )
    audit_record(
        room=room,
        actor=actor.user,
        action=AuditLogEntry.Action.INVITATION_CREATE,
        target_user=invited_user,
        details={
            "expires_at": expires_at.isoformat() if expires_at else None,
            "max_uses": max_uses,
        },
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, actor: Actor, invitation: Invitation) -> None:
    check(actor, Action.INVITE)
    if invitation.room_id != actor.room.pk:
        raise PermissionDenied(Denial("not_found", _("No such invitation in this room.")))
    Invitation.objects.filter(pk=invitation.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    audit_record(
        room=invitation.room,
        actor=actor.user,
        action=AuditLogEntry.Action.INVITATION_REVOKE,
        target_user=invitation.invited_user,
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Join the invitation's room. Raises ``InvitationUnusable`` or ``PermissionDenied``."""
    room = invitation.room
    existing = membership_get(room=room, user=user)
    if existing is not None:
        return existing
    if invitation.invited_user_id is not None and invitation.invited_user_id != user.pk:
        raise InvitationUnusable(_("This invitation is for someone else."))
    if room.is_archived:
        raise InvitationUnusable(_("This room is archived."))
    ensure_not_banned(room=room, user=user)
    # Count the use in the same statement that checks it, so two people
    # accepting the last use at once cannot both get in.
    used = invitations_usable().filter(pk=invitation.pk).update(uses=F("uses") + 1)
    if not used:
        raise InvitationUnusable(_("This invitation has expired, been used up or been revoked."))
    return membership_create(room=room, user=user)
