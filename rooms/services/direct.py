"""Direct conversations: a private room of exactly two people."""

import secrets

from django.db import IntegrityError, transaction

from accounts.models import User
from rooms.models import DIRECT_SLUG_PREFIX, Membership, Room
from rooms.selectors import direct_key, direct_room_find
from rooms.services.members import membership_create


def direct_room_get_or_create(*, user: User, other: User) -> Room:
    """The conversation between ``user`` and ``other``, created on first use.

    It is a private room (so every entry point hides it from third parties)
    that is never listed and has no owner: nobody moderates a conversation
    of two. It is found by its pair of people; its slug is random, so no
    room created beforehand can stand in for it or block it.
    """
    if user.pk == other.pk:
        raise ValueError("A conversation needs two different people.")
    room = direct_room_find(user=user, other=other)
    if room is not None:
        return room
    first, second = sorted([user.username, other.username])
    try:
        with transaction.atomic():
            room = Room.objects.create(
                name=f"{first} & {second}",
                slug=f"{DIRECT_SLUG_PREFIX}{secrets.token_hex(6)}",
                kind=Room.Kind.DIRECT,
                direct_key=direct_key(user, other),
                visibility=Room.Visibility.PRIVATE,
                created_by=user,
            )
            for person in (user, other):
                membership_create(room=room, user=person, role=Membership.Role.MEMBER)
    except IntegrityError:
        # Both people opened the conversation at the same moment.
        room = Room.objects.get(direct_key=direct_key(user, other))
    return room
