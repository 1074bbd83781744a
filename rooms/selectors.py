"""Reads about rooms. The one place that decides who may see a room."""

from django.db.models import BooleanField, Count, Exists, OuterRef, QuerySet, Value

from accounts.models import User
from rooms.models import Membership, Room


class NotAMember(Exception):
    """The user is signed in and the room exists, but the user is not in it."""


def room_get(*, slug: str) -> Room:
    """The room with this slug; raises ``Room.DoesNotExist``."""
    return Room.objects.get(slug=slug)


def membership_get(*, room: Room, user: User) -> Membership | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(room=room, user=user).first()


def room_get_for_member(*, slug: str, user: User) -> Room:
    """The room, if ``user`` may read and post in it.

    Raises ``Room.DoesNotExist`` when there is no such room and ``NotAMember``
    when the user is not one of its members. Views, consumers and services all
    ask this, so "who may see a room" is answered in one place.
    """
    room = room_get(slug=slug)
    # is_active is read from the database, not the (possibly stale) user object,
    # so an account deactivated while its socket is open can no longer post.
    if (
        not user.is_authenticated
        or not Membership.objects.filter(room=room, user=user, user__is_active=True).exists()
    ):
        raise NotAMember(slug)
    return room


def room_list(*, user: User) -> QuerySet[Room]:
    """Every room with its member count, marking those ``user`` belongs to."""
    rooms = Room.objects.annotate(member_count=Count("memberships", distinct=True))
    if not user.is_authenticated:
        return rooms.annotate(is_member=Value(False, output_field=BooleanField()))
    return rooms.annotate(
        is_member=Exists(Membership.objects.filter(room=OuterRef("pk"), user=user))
    )


def room_member_count(*, room: Room) -> int:
    return room.memberships.count()


def room_members(*, room: Room) -> QuerySet[Membership]:
    return room.memberships.select_related("user").order_by("user__username")
