import re

import pytest
from django.db import IntegrityError

from rooms.models import Membership, Room
from rooms.selectors import NotAMember, room_get_for_member, room_list
from rooms.services import (
    OwnerCannotLeave,
    membership_create,
    membership_revoke,
    room_create,
)
from tests.support.factories import MembershipFactory, RoomFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_room_create_makes_the_slug_from_the_name_and_makes_creator_owner(user):
    room = room_create(name="  Django Help ", description="Ask here", created_by=user)

    assert room.name == "Django Help"
    assert re.fullmatch(r"django-help-[a-z0-9]{6}", room.slug)
    assert Membership.objects.get(room=room, user=user).role == Membership.Role.OWNER


def test_room_create_gives_rooms_whose_names_slugify_alike_distinct_slugs(user):
    first = room_create(name="General", created_by=user)
    second = room_create(name="General!", created_by=user)

    assert first.slug != second.slug
    assert first.slug.startswith("general-")
    assert second.slug.startswith("general-")


def test_a_slug_does_not_tell_whether_a_hidden_room_holds_the_name(user, outsider):
    """The slug has the same shape, and a fresh random suffix, whether or not it was taken."""
    RoomFactory(name="Moderators", slug="moderators", visibility=Room.Visibility.PRIVATE)
    RoomFactory(name="Moderators", slug="moderators-2", visibility=Room.Visibility.PRIVATE)

    beside_hidden = room_create(name="Moderators", created_by=outsider)
    Room.objects.exclude(pk=beside_hidden.pk).delete()
    alone = room_create(name="Moderators!", created_by=outsider)

    assert re.fullmatch(r"moderators-[a-z0-9]{6}", beside_hidden.slug)
    assert re.fullmatch(r"moderators-[a-z0-9]{6}", alone.slug)
    assert beside_hidden.slug != alone.slug


def test_room_create_never_uses_a_slug_that_collides_with_fixed_urls(user):
    assert re.fullmatch(r"new-[a-z0-9]{6}", room_create(name="New", created_by=user).slug)


def test_room_create_falls_back_to_a_generic_slug_for_unsluggable_names(user):
    assert re.fullmatch(r"room-[a-z0-9]{6}", room_create(name="!!!", created_by=user).slug)


def test_membership_create_is_idempotent(user, room):
    first = membership_create(room=room, user=user)
    second = membership_create(room=room, user=user)

    assert first.pk == second.pk
    assert room.memberships.count() == 1


def test_database_refuses_a_second_membership_for_the_same_user_and_room(member):
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=member.user, room=member.room)


def test_membership_revoke_removes_the_member(member):
    assert membership_revoke(room=member.room, user=member.user) is True
    assert not Membership.objects.filter(pk=member.pk).exists()


def test_membership_revoke_of_a_non_member_reports_nothing_removed(room, outsider):
    assert membership_revoke(room=room, user=outsider) is False


def test_last_owner_cannot_leave_but_an_owner_with_a_co_owner_can(user):
    room = room_create(name="Owned", created_by=user)
    with pytest.raises(OwnerCannotLeave):
        membership_revoke(room=room, user=user)

    co_owner = MembershipFactory(room=room, role=Membership.Role.OWNER)
    assert membership_revoke(room=room, user=user) is True
    assert room.memberships.get().pk == co_owner.pk


def test_site_admin_can_remove_the_last_owner(user):
    room = room_create(name="Owned", created_by=user)
    assert membership_revoke(room=room, user=user, keep_an_owner=False) is True


def test_room_get_for_member_tells_missing_rooms_from_non_members(member, outsider):
    assert room_get_for_member(slug="lobby", user=member.user) == member.room
    with pytest.raises(NotAMember):
        room_get_for_member(slug="lobby", user=outsider)
    with pytest.raises(Room.DoesNotExist):
        room_get_for_member(slug="nowhere", user=member.user)


def test_room_list_counts_members_and_marks_mine(member, other_member, outsider):
    other_room = RoomFactory(name="Zoo", slug="zoo")
    MembershipFactory(room=other_room, user=UserFactory())

    rooms = {room.slug: room for room in room_list(user=member.user)}

    assert rooms["lobby"].member_count == 2
    assert rooms["lobby"].is_member is True
    assert rooms["zoo"].member_count == 1
    assert rooms["zoo"].is_member is False
