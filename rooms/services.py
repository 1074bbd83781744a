"""Writes about rooms and their members."""

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts.models import User
from rooms.events import room_event_send_on_commit
from rooms.models import Membership, Room

# Slugs that would collide with fixed URLs under /rooms/.
RESERVED_SLUGS = frozenset({"new"})
SLUG_MAX_TRIES = 50


class OwnerCannotLeave(Exception):
    """The last owner of a room tried to leave it."""


def _slug_candidates(name: str):
    base = slugify(name)[:90] or "room"
    if base not in RESERVED_SLUGS:
        yield base
    for n in range(2, SLUG_MAX_TRIES + 2):
        yield f"{base}-{n}"


@transaction.atomic
def room_create(*, name: str, description: str = "", created_by: User) -> Room:
    """Create a room with a unique slug derived from its name; its creator owns it."""
    name = name.strip()
    for slug in _slug_candidates(name):
        if Room.objects.filter(slug=slug).exists():
            continue
        try:
            with transaction.atomic():
                room = Room.objects.create(
                    name=name, slug=slug, description=description.strip(), created_by=created_by
                )
        except IntegrityError:
            # Another request took this slug between the check and the insert.
            continue
        Membership.objects.create(user=created_by, room=room, role=Membership.Role.OWNER)
        return room
    raise IntegrityError(f"No free slug for room name {name!r}")


def membership_create(*, room: Room, user: User, role: str = Membership.Role.MEMBER) -> Membership:
    """Make ``user`` a member of ``room``; joining twice keeps the first membership."""
    membership, _created = Membership.objects.get_or_create(
        room=room, user=user, defaults={"role": role}
    )
    return membership


@transaction.atomic
def membership_revoke(*, room: Room, user: User, keep_an_owner: bool = True) -> bool:
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
        and not (
            room.memberships.filter(role=Membership.Role.OWNER).exclude(pk=membership.pk).exists()
        )
    ):
        raise OwnerCannotLeave(room.slug)
    membership.delete()
    room_event_send_on_commit(room=room, event={"type": "membership.revoked", "user_id": user.pk})
    return True
