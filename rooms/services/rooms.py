"""Creating rooms and changing their settings."""

import secrets
import string
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import AuditLogEntry
from audit.services import audit_record
from rooms.events import room_updated
from rooms.models import DIRECT_SLUG_PREFIX, SLOW_MODE_MAX_SECONDS, Membership, Room
from rooms.permissions import Action, Actor, check

SLUG_MAX_TRIES = 10
SLUG_SUFFIX_ALPHABET = string.ascii_lowercase + string.digits
SLUG_SUFFIX_LENGTH = 6


def _slug_candidates(name: str) -> Iterator[str]:
    """``<name>-<random>``, every time.

    The suffix never depends on which slugs are taken: "moderators" coming back
    as "moderators-2" would tell anyone that a room they cannot see holds
    "moderators". It also keeps slugs clear of fixed URLs such as /rooms/new/.
    """
    base = slugify(name)[:90] or "room"
    if f"{base}-".startswith(DIRECT_SLUG_PREFIX):
        # Kept for conversations, so a room named "dm-2-3" cannot pass for one.
        base = f"room-{base}"[:90]
    for _try in range(SLUG_MAX_TRIES):
        letters = [secrets.choice(SLUG_SUFFIX_ALPHABET) for _letter in range(SLUG_SUFFIX_LENGTH)]
        yield f"{base}-{''.join(letters)}"


class RoomCreateLimited(Exception):
    """The creator has made ``PARLEY_ROOM_CREATE_LIMIT`` rooms within the window."""

    def __init__(self, detail: str, *, retry_at: datetime) -> None:
        super().__init__(detail)
        self.detail = detail
        self.retry_at = retry_at


def _ensure_may_create_a_room(user: User) -> None:
    # The lock makes one person's simultaneous requests count one after another, so
    # a burst cannot all pass the check before any of them has written its room.
    User.objects.select_for_update().filter(pk=user.pk).first()
    window = timedelta(seconds=settings.PARLEY_ROOM_CREATE_WINDOW)
    recent = list(
        Room.objects.filter(
            kind=Room.Kind.ROOM, created_by=user, created_at__gt=timezone.now() - window
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: settings.PARLEY_ROOM_CREATE_LIMIT]
    )
    if len(recent) < settings.PARLEY_ROOM_CREATE_LIMIT:
        return
    retry_at = recent[-1] + window
    raise RoomCreateLimited(
        _(
            "You have reached the limit of %(limit)d new rooms in %(window)s. "
            "You can create another in %(wait)s (at %(time)s UTC)."
        )
        % {
            "limit": len(recent),
            "window": timesince(timezone.now() - window),
            "wait": timeuntil(retry_at),
            "time": retry_at.strftime("%H:%M"),
        },
        retry_at=retry_at,
    )


@transaction.atomic
def room_create(
    *,
    name: str,
    description: str = "",
    created_by: User,
    visibility: str = Room.Visibility.PUBLIC,
) -> Room:
    """Create a room with a unique slug made from its name; its creator owns it.

    Raises ``RoomCreateLimited`` past ``PARLEY_ROOM_CREATE_LIMIT`` rooms per window.
    """
    _ensure_may_create_a_room(created_by)
    name = name.strip()
    for slug in _slug_candidates(name):
        if Room.objects.filter(slug=slug).exists():
            continue
        try:
            with transaction.atomic():
                room = Room.objects.create(
                    name=name,
                    slug=slug,
                    description=description.strip(),
                    visibility=visibility,
                    created_by=created_by,
                )
        except IntegrityError:
            # Another request took this slug between the check and the insert.
            continue
        Membership.objects.create(user=created_by, room=room, role=Membership.Role.OWNER)
        return room
    raise IntegrityError(f"No free slug for room name {name!r}")


def _room_save(
    actor: Actor, fields: list[str], action: str, *, details: dict[str, Any] | None = None
) -> Room:
    """Save changed settings of the actor's room, record them, and show them on open pages."""
    room = actor.room
    room.save(update_fields=fields)
    audit_record(room=room, actor=actor.user, action=action, details=details)
    room_updated(room)
    return room


@transaction.atomic
def room_update(*, actor: Actor, name: str, description: str, visibility: str) -> Room:
    """Change a room's name, description and visibility (its slug, and so its URL, stays)."""
    check(actor, Action.SETTINGS)
    room = actor.room
    changed = {
        field: value
        for field, value in {
            "name": name.strip(),
            "description": description.strip(),
            "visibility": visibility,
        }.items()
        if getattr(room, field) != value
    }
    if not changed:
        return room
    for field, value in changed.items():
        setattr(room, field, value)
    return _room_save(actor, list(changed), AuditLogEntry.Action.ROOM_UPDATE, details=changed)


@transaction.atomic
def room_lock_set(*, actor: Actor, locked: bool) -> Room:
    """Lock (only owners and moderators post) or unlock the room."""
    check(actor, Action.LOCK)
    room = actor.room
    room.is_locked = locked
    action = AuditLogEntry.Action.ROOM_LOCK if locked else AuditLogEntry.Action.ROOM_UNLOCK
    return _room_save(actor, ["is_locked"], action)


@transaction.atomic
def room_slow_mode_set(*, actor: Actor, seconds: int) -> Room:
    """At most one message per member every ``seconds`` (0 turns slow mode off)."""
    check(actor, Action.SLOW_MODE)
    room = actor.room
    room.slow_mode_seconds = max(0, min(int(seconds), SLOW_MODE_MAX_SECONDS))
    return _room_save(
        actor,
        ["slow_mode_seconds"],
        AuditLogEntry.Action.ROOM_SLOW_MODE,
        details={"seconds": room.slow_mode_seconds},
    )


@transaction.atomic
def room_archive_set(*, actor: Actor, archived: bool) -> Room:
    """Archive (read-only for everyone, still readable by members) or reopen the room."""
    check(actor, Action.ARCHIVE)
    room = actor.room
    room.archived_at = timezone.now() if archived else None
    action = AuditLogEntry.Action.ROOM_ARCHIVE if archived else AuditLogEntry.Action.ROOM_UNARCHIVE
    return _room_save(actor, ["archived_at"], action)
