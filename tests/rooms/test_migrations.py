"""Conversations created before they had a key get the key of their two people."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import User
from rooms.models import Room
from rooms.selectors import direct_room_find

BEFORE_KEYS = [("rooms", "0003_membership_last_read_id_room_kind")]


@pytest.fixture
def old_schema():
    """The apps as they were before 0004, and a way forward to the latest schema."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_KEYS)
    yield executor.loader.project_state(BEFORE_KEYS).apps

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_conversations_are_keyed_by_their_two_people_and_squats_stay_rooms(old_schema):
    user_model = old_schema.get_model("accounts", "User")
    room_model = old_schema.get_model("rooms", "Room")
    membership_model = old_schema.get_model("rooms", "Membership")
    ada, grace, mallory = (user_model.objects.create(username=n) for n in ["ada", "grace", "mal"])

    def conversation(first, second, *, people):
        room = room_model.objects.create(
            name="old", slug=f"dm-{first.pk}-{second.pk}", kind="direct", visibility="private"
        )
        for person in people:
            membership_model.objects.create(room=room, user=person)
        return room.pk

    both_there = conversation(ada, grace, people=[ada, grace])
    one_left = conversation(ada, mallory, people=[ada])
    squat = room_model.objects.create(name="trap", slug=f"dm-{grace.pk}-{mallory.pk}").pk

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    keys = dict(Room.objects.values_list("pk", "direct_key"))
    assert keys == {
        both_there: f"{ada.pk}:{grace.pk}",
        one_left: f"{ada.pk}:{mallory.pk}",
        squat: None,
    }
    ada, grace, mallory = (User.objects.get(pk=old.pk) for old in (ada, grace, mallory))
    assert direct_room_find(user=grace, other=mallory) is None
    assert direct_room_find(user=grace, other=ada).pk == both_there
