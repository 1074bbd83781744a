"""Reactions, replies, pins and earlier versions, as the services store them."""

import pytest
from django.db import IntegrityError
from django.utils import timezone

from messaging.models import MessageRevision, Reaction
from messaging.selectors import (
    message_changes_since,
    message_list,
    message_payload,
    message_pin_list,
    message_versions,
)
from messaging.services import (
    MessageRejected,
    message_create,
    message_delete,
    message_edit,
    message_pin,
    message_unpin,
    reaction_add,
    reaction_remove,
)
from rooms.selectors import NotAMember
from tests.support.factories import MessageFactory, RoomFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def message(member, other_member):
    return MessageFactory(room=member.room, author=other_member.user, body="Lunch at noon?")


# --- Reactions


def test_a_reaction_is_stored_once_and_counted_with_who_made_it(member, other_member, message):
    assert reaction_add(room=message.room, user=member.user, message_id=message.pk, emoji="👍")
    reaction_add(room=message.room, user=other_member.user, message_id=message.pk, emoji="👍")
    reaction_add(room=message.room, user=member.user, message_id=message.pk, emoji="🎉")

    assert message_payload(message)["reactions"] == [
        {"emoji": "👍", "count": 2, "users": ["ada", "grace"]},
        {"emoji": "🎉", "count": 1, "users": ["ada"]},
    ]


def test_adding_the_same_reaction_twice_changes_nothing_and_is_no_error(member, message):
    first = reaction_add(room=message.room, user=member.user, message_id=message.pk, emoji="👍")
    again = reaction_add(room=message.room, user=member.user, message_id=message.pk, emoji="👍")

    assert (first, again) == (True, False)
    assert Reaction.objects.count() == 1


def test_the_database_refuses_a_second_copy_of_a_reaction(member, message):
    Reaction.objects.create(message=message, user=member.user, emoji="👍")
    with pytest.raises(IntegrityError):
        Reaction.objects.create(message=message, user=member.user, emoji="👍")


def test_removing_a_reaction_takes_back_only_mine(member, other_member, message):
    for user in (member.user, other_member.user):
        reaction_add(room=message.room, user=user, message_id=message.pk, emoji="👍")

    removed = reaction_remove(
        room=message.room, user=member.user, message_id=message.pk, emoji="👍"
    )
    not_there = reaction_remove(
        room=message.room, user=member.user, message_id=message.pk, emoji="👍"
    )

    assert (removed, not_there) == (True, False)
    assert message_payload(message)["reactions"] == [
        {"emoji": "👍", "count": 1, "users": ["grace"]}
    ]


@pytest.mark.parametrize("emoji", ["", "a", "👍👍", ":thumbsup:", "<b>", "x" * 100])
def test_a_reaction_must_be_one_unicode_emoji(member, message, emoji):
    with pytest.raises(MessageRejected) as rejected:
        reaction_add(room=message.room, user=member.user, message_id=message.pk, emoji=emoji)
    assert rejected.value.code == "invalid"
    assert not Reaction.objects.exists()


@pytest.mark.parametrize("emoji", ["👍🏽", "👩‍💻", "🇫🇷", "❤️"])
def test_skin_tones_sequences_and_flags_count_as_one_emoji(member, message, emoji):
    assert reaction_add(room=message.room, user=member.user, message_id=message.pk, emoji=emoji)


def test_non_members_cannot_react(room, outsider, message):
    with pytest.raises(NotAMember):
        reaction_add(room=room, user=outsider, message_id=message.pk, emoji="👍")


def test_a_deleted_message_cannot_be_reacted_to(member, message, moderator):
    message_delete(room=message.room, user=moderator.user, message_id=message.pk)

    with pytest.raises(MessageRejected) as rejected:
        reaction_add(room=message.room, user=member.user, message_id=message.pk, emoji="👍")
    assert rejected.value.code == "not_found"


def test_an_archived_room_takes_no_reactions(member, message):
    message.room.archived_at = timezone.now()
    message.room.save()

    with pytest.raises(MessageRejected) as rejected:
        reaction_add(room=message.room, user=member.user, message_id=message.pk, emoji="👍")
    assert rejected.value.code == "archived"


def test_a_message_of_another_room_cannot_be_reacted_to_from_this_one(member):
    elsewhere = MessageFactory(room=RoomFactory(slug="elsewhere"))

    with pytest.raises(MessageRejected) as rejected:
        reaction_add(room=member.room, user=member.user, message_id=elsewhere.pk, emoji="👍")
    assert rejected.value.code == "not_found"


def test_listing_messages_reads_their_reactions_and_quotes_in_a_fixed_number_of_queries(
    member, other_member, django_assert_max_num_queries
):
    room = member.room
    for n in range(10):
        quoted = MessageFactory(room=room, author=member.user)
        reply, _ = message_create(
            room=room, author=other_member.user, body=f"re {n}", reply_to_id=quoted.pk
        )
        reaction_add(room=room, user=member.user, message_id=reply.pk, emoji="👍")

    with django_assert_max_num_queries(5):
        payloads = [message_payload(m) for m in message_list(room=room, limit=50)[0]]

    assert sum(len(p["reactions"]) for p in payloads) == 10


# --- Replies


def test_a_reply_quotes_the_author_and_the_start_of_the_original(member, other_member, message):
    reply, _ = message_create(
        room=member.room, author=member.user, body="Yes!", reply_to_id=message.pk
    )

    assert message_payload(reply)["reply_to"] == {
        "id": message.pk,
        "author": {"username": "grace", "display_name": "Grace Hopper", "avatar_url": None},
        "excerpt": "Lunch at noon?",
    }


def test_a_long_original_is_quoted_in_at_most_140_characters(member, other_member):
    long = MessageFactory(room=member.room, author=other_member.user, body="word " * 100)
    reply, _ = message_create(room=member.room, author=member.user, body="ok", reply_to_id=long.pk)

    assert len(message_payload(reply)["reply_to"]["excerpt"]) <= 140


def test_a_reply_to_a_deleted_message_says_so_and_never_shows_its_text(member, message):
    reply, _ = message_create(
        room=member.room, author=member.user, body="Yes!", reply_to_id=message.pk
    )
    message.deleted_at = timezone.now()
    message.save()
    reply.refresh_from_db()

    quote = message_payload(reply)["reply_to"]
    assert quote["excerpt"] == "This message was deleted."
    assert "Lunch" not in str(quote)


def test_a_reply_to_a_message_of_another_room_is_refused_and_nothing_is_stored(member):
    elsewhere = MessageFactory(room=RoomFactory(slug="elsewhere"), body="secret")

    with pytest.raises(MessageRejected) as rejected:
        message_create(room=member.room, author=member.user, body="hi", reply_to_id=elsewhere.pk)

    assert rejected.value.code == "not_found"
    assert not member.room.messages.exists()


# --- Pins


def test_a_moderator_pins_and_unpins_and_the_list_is_latest_pin_first(moderator, message):
    other = MessageFactory(room=message.room)
    message_pin(room=message.room, user=moderator.user, message_id=message.pk)
    message_pin(room=message.room, user=moderator.user, message_id=other.pk)

    assert [m.pk for m in message_pin_list(room=message.room)] == [other.pk, message.pk]
    assert message_payload(message_pin_list(room=message.room)[1])["pinned"] is True

    message_unpin(room=message.room, user=moderator.user, message_id=other.pk)
    assert [m.pk for m in message_pin_list(room=message.room)] == [message.pk]


def test_a_plain_member_cannot_pin(member, message):
    with pytest.raises(MessageRejected) as rejected:
        message_pin(room=message.room, user=member.user, message_id=message.pk)
    assert rejected.value.code == "forbidden"
    message.refresh_from_db()
    assert not message.is_pinned


# --- Edit history


def test_each_edit_keeps_the_text_it_replaced(member):
    message, _ = message_create(room=member.room, author=member.user, body="frist")
    message_edit(room=member.room, user=member.user, message_id=message.pk, body="first")
    message = message_edit(room=member.room, user=member.user, message_id=message.pk, body="first!")

    versions = message_versions(message=message)

    assert [v["body"] for v in versions] == ["frist", "first", "first!"]
    assert versions[0]["html"] == "<p>frist</p>"
    assert all(v["at"].endswith("Z") for v in versions)
    assert MessageRevision.objects.filter(editor=member.user).count() == 2


# --- Catching up


def test_catch_up_returns_messages_whose_reactions_or_pin_changed_since(
    member, moderator, message, wall_clock
):
    untouched = MessageFactory(room=message.room)
    reacted = MessageFactory(room=message.room)
    reaction_add(room=message.room, user=member.user, message_id=reacted.pk, emoji="👍")
    wall_clock.shift(5)
    since = timezone.now()
    wall_clock.shift(5)
    reaction_remove(room=message.room, user=member.user, message_id=reacted.pk, emoji="👍")
    message_pin(room=message.room, user=moderator.user, message_id=message.pk)

    changed, deleted = message_changes_since(
        room=message.room, up_to=untouched.pk + 10, since=since
    )

    assert sorted(m.pk for m in changed) == sorted([message.pk, reacted.pk])
    assert deleted == []
