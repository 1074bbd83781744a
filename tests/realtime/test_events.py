"""Every event and frame has the shape the README's protocol section gives it, and survives JSON."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from realtime import events

ADA = events.person(username="ada", display_name="Ada Lovelace")
MESSAGE = {
    "id": 42,
    "room": "general",
    "author": ADA,
    "body": "Hello",
    "html": "<p>Hello</p>",
    "mentions": ["grace"],
    "created_at": "2026-11-25T23:18:24.123456Z",
    "edited_at": None,
    "client_id": "c-1",
    "attachments": [
        {
            "id": 7,
            "name": "cat.jpg",
            "size": 48213,
            "content_type": "image/jpeg",
            "url": "/rooms/general/attachments/7/cat.jpg",
            "thumbnail_url": "/rooms/general/attachments/7/thumbnail/",
            "width": 1200,
            "height": 800,
        }
    ],
    "reply_to": {"id": 41, "author": ADA, "excerpt": "Hi"},
    "reactions": [{"emoji": "👍", "count": 2, "users": ["ada", "grace"]}],
    "pinned": True,
}
ROOM = events.room_fields(
    slug="general",
    name="General",
    description="",
    visibility="public",
    is_locked=False,
    slow_mode_seconds=0,
    is_archived=True,
)

# (event or frame, the README's keys for it)
SHAPES = [
    (events.ping(), {"type": "ping"}),
    (
        events.history(messages=[MESSAGE], has_more=True, server_time="2026-11-25T23:18:24Z"),
        {
            "type": "history",
            "messages": [MESSAGE],
            "has_more": True,
            "server_time": "2026-11-25T23:18:24Z",
        },
    ),
    (
        events.history(messages=[], has_more=False, server_time="t", edited=[MESSAGE], deleted=[7]),
        {
            "type": "history",
            "messages": [],
            "has_more": False,
            "server_time": "t",
            "edited": [MESSAGE],
            "deleted": [7],
        },
    ),
    (events.message_edited(message=MESSAGE), {"type": "message.edited", "message": MESSAGE}),
    (events.message_deleted(id=42), {"type": "message.deleted", "id": 42}),
    (
        events.reaction_added(message_id=42, emoji="👍", user=ADA),
        {"type": "reaction.added", "message_id": 42, "emoji": "👍", "user": ADA},
    ),
    (
        events.reaction_removed(message_id=42, emoji="👍", user=ADA),
        {"type": "reaction.removed", "message_id": 42, "emoji": "👍", "user": ADA},
    ),
    (
        events.message_pinned(message=MESSAGE, pinned_by=ADA),
        {"type": "message.pinned", "id": 42, "message": MESSAGE, "pinned_by": ADA},
    ),
    (events.message_unpinned(id=42), {"type": "message.unpinned", "id": 42}),
    (events.room_updated(room=ROOM), {"type": "room.updated", "room": ROOM}),
    (
        events.member_updated(
            member={"username": "ada", "role": "member", "muted_until": None}, is_me=True
        ),
        {
            "type": "member.updated",
            "member": {"username": "ada", "role": "member", "muted_until": None},
            "is_me": True,
        },
    ),
    (
        events.member_updated_event(user_id=3, username="ada", role="moderator", muted_until=None),
        {
            "type": "member.updated",
            "user_id": 3,
            "member": {"username": "ada", "role": "moderator", "muted_until": None},
        },
    ),
    (
        events.membership_revoked(user_id=3, reason="banned"),
        {"type": "membership.revoked", "user_id": 3, "reason": "banned"},
    ),
    (
        events.removed(reason="kicked", detail="A sentence."),
        {"type": "removed", "reason": "kicked", "detail": "A sentence."},
    ),
    (events.presence(online=[ADA]), {"type": "presence", "online": [ADA]}),
    (
        events.presence_changed(user=ADA, online=False),
        {"type": "presence.changed", "user": ADA, "online": False},
    ),
    (events.typing(user=ADA, active=True), {"type": "typing", "user": ADA, "active": True}),
    (
        events.room_read(room="general", last_read_id=9),
        {"type": "room.read", "room": "general", "last_read_id": 9},
    ),
    (events.read(last_read_id=9), {"type": "read", "last_read_id": 9}),
    (
        events.read(room="general", last_read_id=9),
        {"type": "read", "room": "general", "last_read_id": 9},
    ),
    (
        events.room_activity(
            room="general", id=5, author_id=3, author="Ada", mention_ids=[4], excerpt="hi"
        ),
        {
            "type": "room.activity",
            "room": "general",
            "id": 5,
            "author_id": 3,
            "author": "Ada",
            "mention_ids": [4],
            "excerpt": "hi",
        },
    ),
    (
        events.unread(room="general", id=5, mention=True, author="Ada", excerpt="hi"),
        {
            "type": "unread",
            "room": "general",
            "id": 5,
            "mention": True,
            "author": "Ada",
            "excerpt": "hi",
        },
    ),
    (
        events.unread_snapshot(
            rooms=[
                {"slug": "general", "name": "General", "kind": "room", "unread": 2, "mentions": 1}
            ]
        ),
        {
            "type": "unread.snapshot",
            "rooms": [
                {"slug": "general", "name": "General", "kind": "room", "unread": 2, "mentions": 1}
            ],
        },
    ),
    (events.inbox_changed(), {"type": "inbox.changed"}),
    (events.session_ended(), {"type": "session.ended"}),
    (events.layer_lost(), {"type": "layer.lost"}),
    (
        events.message_new_event(text="{}", sender_channel="specific.x", group="room-1-messages"),
        {
            "type": "message.new",
            "text": "{}",
            "sender_channel": "specific.x",
            "group": "room-1-messages",
        },
    ),
    (
        events.error(code="slow_mode", detail="Wait.", client_id="c-1", retry_after=3),
        {
            "type": "error",
            "code": "slow_mode",
            "detail": "Wait.",
            "client_id": "c-1",
            "retry_after": 3,
        },
    ),
]


@pytest.mark.parametrize(("built", "expected"), SHAPES, ids=[s[1]["type"] for s in SHAPES])
def test_each_builder_gives_the_shape_the_readme_documents(built, expected):
    assert built == expected
    assert list(built) == list(expected), "keys in the documented order"


@pytest.mark.parametrize(("built", "expected"), SHAPES, ids=[s[1]["type"] for s in SHAPES])
def test_each_event_survives_a_json_round_trip_unchanged(built, expected):
    assert json.loads(json.dumps(built)) == built


def test_a_message_has_the_fields_of_the_readme_and_travels_encoded_once():
    built = events.message_fields(
        **{**MESSAGE, "attachments": [events.attachment_fields(**MESSAGE["attachments"][0])]}
    )
    text = events.message_new_text(built)

    assert (built, list(built)) == (MESSAGE, list(MESSAGE))
    assert json.loads(text) == {"type": "message.new", "message": MESSAGE}


def test_a_room_carries_both_spellings_of_archived():
    assert (ROOM["archived"], ROOM["is_archived"]) == (True, True)


def test_times_are_written_in_utc_with_a_z():
    moment = datetime(2026, 11, 25, 23, 18, 24, 123456, tzinfo=UTC)

    assert events.iso_utc(moment) == "2026-11-25T23:18:24.123456Z"
    assert events.iso_utc(None) is None


def test_a_time_in_another_zone_keeps_its_offset():
    """Only UTC is shortened: the wire never silently shifts a time."""
    moment = datetime(2026, 11, 25, 23, 0, tzinfo=timezone(timedelta(hours=1)))

    assert events.iso_utc(moment) == "2026-11-25T23:00:00+01:00"


def test_a_person_carries_an_avatar_url_null_without_one():
    """The README's person: ``{"username", "display_name", "avatar_url"}``."""
    assert ADA == {"username": "ada", "display_name": "Ada Lovelace", "avatar_url": None}
    with_picture = events.person(username="ada", display_name="Ada", avatar_url="/a/1.webp")
    assert list(with_picture) == ["username", "display_name", "avatar_url"]
    assert json.loads(json.dumps(with_picture)) == with_picture
