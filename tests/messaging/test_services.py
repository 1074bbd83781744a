from datetime import timedelta

import pytest
from django.utils import timezone

from messaging.models import Message
from messaging.selectors import message_list, message_payload
from messaging.services import MessageRejected, membership_read_mark, message_create
from rooms.selectors import NotAMember
from tests.support.avatars import with_avatar
from tests.support.factories import MessageFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_message_create_stores_the_stripped_body(member):
    message, created = message_create(room=member.room, author=member.user, body="  hi there \n")

    assert created is True
    assert Message.objects.get(pk=message.pk).body == "hi there"


def test_message_create_refuses_non_members(room, outsider):
    with pytest.raises(NotAMember):
        message_create(room=room, author=outsider, body="let me in")
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "empty"), ("   \n\t ", "empty"), ("x" * 4001, "too_long")],
)
def test_message_create_rejects_bad_bodies_with_a_code(member, body, code):
    with pytest.raises(MessageRejected) as rejected:
        message_create(room=member.room, author=member.user, body=body)
    assert rejected.value.code == code
    assert not Message.objects.exists()


def test_a_body_of_exactly_the_limit_is_accepted(member):
    message, _ = message_create(room=member.room, author=member.user, body="x" * 4000)
    assert len(message.body) == 4000


def test_resending_a_client_id_returns_the_stored_message_instead_of_a_copy(member):
    first, created = message_create(
        room=member.room, author=member.user, body="once", client_id="c-1"
    )
    again, created_again = message_create(
        room=member.room, author=member.user, body="once", client_id="c-1"
    )

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Message.objects.count() == 1


def test_the_same_client_id_from_another_author_is_a_different_message(member, other_member):
    message_create(room=member.room, author=member.user, body="a", client_id="same")
    message_create(room=member.room, author=other_member.user, body="b", client_id="same")
    assert Message.objects.count() == 2


def test_slow_mode_lets_the_member_post_again_once_the_window_has_passed(member, wall_clock):
    member.room.slow_mode_seconds = 30
    member.room.save(update_fields=["slow_mode_seconds"])
    message_create(room=member.room, author=member.user, body="first")
    wall_clock.shift(29)

    with pytest.raises(MessageRejected) as too_soon:
        message_create(room=member.room, author=member.user, body="a second later")
    wall_clock.shift(1)
    _, created = message_create(room=member.room, author=member.user, body="just in time")

    assert too_soon.value.code == "slow_mode"
    assert 0 < too_soon.value.retry_after <= 1
    assert created is True


def test_a_mute_ends_by_itself_when_its_time_is_up(member, wall_clock):
    member.muted_until = timezone.now() + timedelta(minutes=10)
    member.save(update_fields=["muted_until"])

    with pytest.raises(MessageRejected) as muted:
        message_create(room=member.room, author=member.user, body="still muted")
    wall_clock.shift(10 * 60)
    _, created = message_create(room=member.room, author=member.user, body="free to speak")

    assert muted.value.code == "muted"
    assert created is True
    assert list(Message.objects.values_list("body", flat=True)) == ["free to speak"]


def test_message_create_broadcasts_only_after_commit(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        message_create(room=member.room, author=member.user, body="hello")
    # One for the room's open pages, one for the sidebars of its members.
    assert len(callbacks) == 2


def test_message_payload_is_json_safe_and_in_utc(member):
    message = MessageFactory(room=member.room, author=member.user, body="hi", client_id="c")
    payload = message_payload(message)

    assert payload == {
        "id": message.pk,
        "room": "lobby",
        "author": {"username": "ada", "display_name": "Ada Lovelace", "avatar_url": None},
        "body": "hi",
        "html": "<p>hi</p>",
        "mentions": [],
        "created_at": payload["created_at"],
        "edited_at": None,
        "client_id": "c",
        "attachments": [],
        "reply_to": None,
        "reactions": [],
        "pinned": False,
    }
    assert payload["created_at"].endswith("Z")


def test_message_list_pages_back_and_catches_up_oldest_first(room):
    ids = [MessageFactory(room=room).pk for _ in range(7)]

    latest, more = message_list(room=room, limit=3)
    assert ([m.pk for m in latest], more) == (ids[4:], True)

    older, more = message_list(room=room, limit=3, before=ids[4])
    assert ([m.pk for m in older], more) == (ids[1:4], True)

    oldest, more = message_list(room=room, limit=3, before=ids[1])
    assert ([m.pk for m in oldest], more) == (ids[:1], False)

    after, more = message_list(room=room, limit=4, after=ids[1])
    assert ([m.pk for m in after], more) == (ids[2:6], True)

    tail, more = message_list(room=room, limit=4, after=ids[5])
    assert ([m.pk for m in tail], more) == (ids[6:], False)


def test_message_list_never_mixes_rooms(room):
    MessageFactory()  # in another room
    mine = MessageFactory(room=room)
    assert message_list(room=room, limit=10) == ([mine], False)


def test_moving_the_read_marker_tells_the_users_other_pages_after_commit(
    member, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("realtime.broadcast.group_send_now_or_soon", lambda *a: sent.append(a))
    MessageFactory(room=member.room)
    newest = MessageFactory(room=member.room)

    with django_capture_on_commit_callbacks() as callbacks:
        last_read = membership_read_mark(
            room=member.room, user=member.user, message_id=newest.pk + 5
        )
    assert sent == []
    for callback in callbacks:
        callback()

    assert last_read == newest.pk
    assert sent == [
        (
            f"user-{member.user.pk}",
            {"type": "room.read", "room": "lobby", "last_read_id": newest.pk},
        )
    ]


def test_a_non_member_moving_a_read_marker_tells_no_page(
    member, outsider, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr("realtime.broadcast.group_send_now_or_soon", lambda *a: sent.append(a))
    message = MessageFactory(room=member.room)

    with django_capture_on_commit_callbacks(execute=True):
        last_read = membership_read_mark(room=member.room, user=outsider, message_id=message.pk)

    assert (last_read, sent) == (0, [])


def test_message_payload_names_the_authors_avatar_url_when_they_uploaded_one(member, media_root):
    with_avatar(member.user)
    message = MessageFactory(room=member.room, author=member.user, body="hi")

    (listed,), _more = message_list(room=member.room, limit=10)

    expected = f"/accounts/avatars/{member.user.pk}/{member.user.avatar_version}.webp"
    assert message_payload(message)["author"]["avatar_url"] == expected
    assert message_payload(listed)["author"] == {
        "username": "ada",
        "display_name": "Ada Lovelace",
        "avatar_url": expected,
    }


def test_listing_messages_of_authors_with_avatars_costs_no_query_per_author(
    room, media_root, django_assert_num_queries
):
    for n in range(3):
        MessageFactory(room=room, author=with_avatar(UserFactory(username=f"author{n}")))
    expected_queries = (
        4  # the messages with their authors and quotes, mentions, reactions, attachments
    )

    with django_assert_num_queries(expected_queries):
        messages, _more = message_list(room=room, limit=10)
        payloads = [message_payload(message) for message in messages]

    assert all(payload["author"]["avatar_url"] for payload in payloads)
