"""Direct conversations: a private room of exactly two people."""

from django.db import IntegrityError, transaction

from accounts.models import User
from rooms.models import Membership, Room
from rooms.services.members import membership_create


def direct_slug(first: User, second: User) -> str:
    low, high = sorted([first.pk, second.pk])
    return f"dm-{low}-{high}"


def direct_room_get_or_create(*, user: User, other: User) -> Room:
    """The conversation between ``user`` and ``other``, created on first use.

    It is a private room (so every entry point hides it from third parties)
    that is never listed and has no owner: nobody moderates a conversation
    of two.
    """
    if user.pk == other.pk:
        raise ValueError("A conversation needs two different people.")
    slug = direct_slug(user, other)
    first, second = sorted([user.username, other.username])
    room = Room.objects.filter(slug=slug).first()
    if room is None:
        try:
            with transaction.atomic():
                room = Room.objects.create(
                    name=f"{first} & {second}",
                    slug=slug,
                    kind=Room.Kind.DIRECT,
                    visibility=Room.Visibility.PRIVATE,
                    created_by=user,
                )
                for person in (user, other):
                    membership_create(room=room, user=person, role=Membership.Role.MEMBER)
        except IntegrityError:
            # Both people opened the conversation at the same moment.
            room = Room.objects.get(slug=slug)
    return room
