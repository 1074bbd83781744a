"""Joining, leaving, and what owners and moderators do to members."""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from audit.models import AuditLogEntry
from audit.services import audit_record
from rooms.events import inbox_changed, member_removed, member_updated
from rooms.models import MUTE_MAX, Ban, Membership, Room
from rooms.permissions import (
    Action,
    Actor,
    PermissionDenied,
    ban_denial,
    check,
    join_denial,
    oversees,
)
from rooms.selectors import ban_get_active


class OwnerCannotLeave(Exception):
    """The last owner of a room tried to leave it."""


def _audit(
    actor: Actor,
    target: Membership,
    action: str,
    *,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    """One line of the room's moderation history about what ``actor`` did to ``target``."""
    audit_record(
        room=target.room,
        actor=actor.user,
        action=action,
        target_user=target.user,
        reason=reason,
        details=details,
    )


def _member_save(target: Membership, *fields: str) -> Membership:
    """Save a changed membership and show the change on the room's open pages."""
    target.save(update_fields=list(fields))
    member_updated(target)
    return target


def membership_create(*, room: Room, user: User, role: str = Membership.Role.MEMBER) -> Membership:
    """Make ``user`` a member of ``room``; joining twice keeps the first membership."""
    membership, created = Membership.objects.get_or_create(
        room=room, user=user, defaults={"role": role}
    )
    if created:
        inbox_changed(user_id=user.pk)
    return membership


def ensure_not_banned(*, room: Room, user: User) -> None:
    refused = ban_denial(ban_get_active(room=room, user=user))
    if refused is not None:
        raise PermissionDenied(refused)


def room_join(*, room: Room, user: User) -> Membership:
    """Join a public room by oneself. Private rooms are joined by invitation only."""
    if room.is_private and not oversees(user, room):
        raise Room.DoesNotExist(room.slug)
    refused = join_denial(room=room, ban=ban_get_active(room=room, user=user))
    if refused is not None:
        raise PermissionDenied(refused)
    return membership_create(room=room, user=user)


@transaction.atomic
def membership_revoke(
    *, room: Room, user: User, keep_an_owner: bool = True, reason: str = "left"
) -> bool:
    """Remove ``user`` from ``room`` and close their open sockets to it.

    Returns whether there was a membership to remove. With ``keep_an_owner``
    (members leaving by themselves) the room's last owner cannot leave, so a
    room is never left without someone to run it; site admins may override.
    """
    membership = Membership.objects.select_for_update().filter(room=room, user=user).first()
    if membership is None:
        return False
    if (
        keep_an_owner
        and membership.role == Membership.Role.OWNER
        and not room.memberships.filter(role=Membership.Role.OWNER)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise OwnerCannotLeave(room.slug)
    membership.delete()
    member_removed(room=room, user_id=user.pk, reason=reason)
    inbox_changed(user_id=user.pk)
    return True


@transaction.atomic
def member_kick(*, actor: Actor, target: Membership, reason: str = "") -> None:
    """Remove a member; their sockets close at once. They may rejoin a public room."""
    check(actor, Action.KICK, target=target)
    membership_revoke(room=target.room, user=target.user, keep_an_owner=False, reason="kicked")
    _audit(actor, target, AuditLogEntry.Action.MEMBER_KICK, reason=reason)


@transaction.atomic
def member_ban(
    *, actor: Actor, target: Membership, reason: str = "", expires_at: datetime | None = None
) -> Ban:
    """Kick and keep out: no rejoining or invitation until unbanned or expired."""
    check(actor, Action.BAN, target=target)
    ban, _created = Ban.objects.update_or_create(
        room=target.room,
        user=target.user,
        defaults={"banned_by": actor.user, "reason": reason, "expires_at": expires_at},
    )
    membership_revoke(room=target.room, user=target.user, keep_an_owner=False, reason="banned")
    _audit(
        actor,
        target,
        AuditLogEntry.Action.MEMBER_BAN,
        reason=reason,
        details={"expires_at": expires_at.isoformat() if expires_at else None},
    )
    return ban


@transaction.atomic
def member_unban(*, actor: Actor, ban: Ban) -> None:
    # Lifting a ban needs the same power as imposing one on a plain member.
    banned = Membership(room=ban.room, user=ban.user)
    check(actor, Action.BAN, target=banned)
    ban.delete()
    _audit(actor, banned, AuditLogEntry.Action.MEMBER_UNBAN)


@transaction.atomic
def member_mute(
    *, actor: Actor, target: Membership, duration: timedelta, reason: str = ""
) -> Membership:
    """The member can read but not post until the mute ends."""
    check(actor, Action.MUTE, target=target)
    duration = min(duration, MUTE_MAX)
    target.muted_until = timezone.now() + duration
    _audit(
        actor,
        target,
        AuditLogEntry.Action.MEMBER_MUTE,
        reason=reason,
        details={"minutes": int(duration.total_seconds() // 60)},
    )
    return _member_save(target, "muted_until")


@transaction.atomic
def member_unmute(*, actor: Actor, target: Membership) -> Membership:
    check(actor, Action.MUTE, target=target)
    target.muted_until = None
    _audit(actor, target, AuditLogEntry.Action.MEMBER_UNMUTE)
    return _member_save(target, "muted_until")


@transaction.atomic
def member_role_set(*, actor: Actor, target: Membership, role: str) -> Membership:
    """Promote a member to moderator or demote a moderator (owners only)."""
    if role not in {Membership.Role.MODERATOR, Membership.Role.MEMBER}:
        raise ValueError(role)
    check(actor, Action.PROMOTE, target=target)
    if target.role == role:
        return target
    target.role = role
    action = (
        AuditLogEntry.Action.MEMBER_PROMOTE
        if role == Membership.Role.MODERATOR
        else AuditLogEntry.Action.MEMBER_DEMOTE
    )
    _audit(actor, target, action)
    return _member_save(target, "role")


@transaction.atomic
def ownership_transfer(*, actor: Actor, target: Membership) -> Membership:
    """Make ``target`` an owner; the previous owner stays on as a moderator."""
    check(actor, Action.TRANSFER, target=target)
    if actor.membership is not None and actor.membership.role == Membership.Role.OWNER:
        actor.membership.role = Membership.Role.MODERATOR
        _member_save(actor.membership, "role")
    target.role = Membership.Role.OWNER
    _audit(actor, target, AuditLogEntry.Action.ROOM_TRANSFER)
    return _member_save(target, "role")
