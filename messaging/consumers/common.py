"""Database access for the consumers, wrapped once at the async boundary."""

from datetime import datetime
from importlib import import_module
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from messaging import protocol
from messaging.presence import presence_enter, presence_leave, presence_online
from messaging.selectors import (
    message_changes_since,
    message_list,
    message_new_frame_text,
    message_payload,
)
from messaging.services import (
    membership_read_mark,
    message_create,
    message_delete,
    message_edit,
    message_pin,
    message_unpin,
    reaction_add,
    reaction_remove,
)
from messaging.throttle import frame_token_take, socket_slot_acquire, socket_slot_release
from realtime import events
from rooms.models import Room
from rooms.selectors import room_get_for_member, room_member_summaries, unread_counts

room_get_for_member_async = database_sync_to_async(room_get_for_member)
message_edit_async = database_sync_to_async(message_edit)
message_delete_async = database_sync_to_async(message_delete)
reaction_add_async = database_sync_to_async(reaction_add)
reaction_remove_async = database_sync_to_async(reaction_remove)
message_pin_async = database_sync_to_async(message_pin)
message_unpin_async = database_sync_to_async(message_unpin)
membership_read_mark_async = database_sync_to_async(membership_read_mark)
socket_slot_acquire_async = database_sync_to_async(socket_slot_acquire)
socket_slot_release_async = database_sync_to_async(socket_slot_release)
frame_token_take_async = database_sync_to_async(frame_token_take)
presence_enter_async = database_sync_to_async(presence_enter)
presence_leave_async = database_sync_to_async(presence_leave)
unread_counts_async = database_sync_to_async(unread_counts)


@database_sync_to_async
def message_store(**kwargs: Any) -> tuple[str, bool]:
    """Store a message; return its ``message.new`` frame text and whether it is new."""
    message, created = message_create(**kwargs)
    return getattr(message, "frame_text", None) or message_new_frame_text(message), created


@database_sync_to_async
def session_expiry(*, session_key: str, user_id: int) -> datetime | None:
    """When the session expires; None once it no longer signs in this user.

    Gone from the store, expired, another user's, an inactive account, or a
    password changed since the session was made (its auth hash no longer
    matches): the checks Django's ``get_user`` makes on every request.
    """
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    data = store.load()
    if not data or data.get(SESSION_KEY) != str(user_id):
        return None
    user = get_user_model()._default_manager.filter(pk=user_id, is_active=True).first()
    session_hash = data.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()] if user else []
    if not any(constant_time_compare(session_hash, known) for known in hashes):
        return None
    model = getattr(store, "model", None)  # the database backends know the stored expiry
    if model is not None:
        return (
            model.objects.filter(session_key=session_key)
            .values_list("expire_date", flat=True)
            .first()
        )
    return store.get_expiry_date()


@database_sync_to_async
def presence_snapshot(*, room: Room) -> list[events.Person]:
    """The members of ``room`` who have it open now, by name."""
    members = room_member_summaries(room=room)
    online = presence_online(room_id=room.pk, user_ids=[member["id"] for member in members])
    return [
        events.person(
            username=member["username"],
            display_name=member["display_name"],
            avatar_url=member["avatar_url"],
        )
        for member in members
        if member["id"] in online
    ]


@database_sync_to_async
def history_frame(*, room: Room, after: int | None, since: datetime | None) -> events.History:
    # Read before the query, so a change made while it runs is sent again next time.
    server_time = events.iso_utc(timezone.now())
    if after is None:
        messages, has_more = message_list(room=room, limit=protocol.HISTORY_LIMIT)
    else:
        messages, has_more = message_list(room=room, after=after, limit=protocol.CATCH_UP_LIMIT)
    edited = deleted = None
    if after is not None and since is not None:
        changed, deleted = message_changes_since(room=room, up_to=after, since=since)
        edited = [message_payload(message) for message in changed]
    return events.history(
        messages=[message_payload(message) for message in messages],
        has_more=has_more,
        server_time=server_time,
        edited=edited,
        deleted=deleted,
    )


def catch_up_from_query(query_string: bytes) -> tuple[int | None, datetime | None]:
    """``?after=<id>&since=<server_time>`` from a reconnecting client.

    Raises ``ValueError`` when either is malformed.
    """
    query = parse_qs(query_string.decode("latin-1"))
    after = since = None
    if query.get("after"):
        after = int(query["after"][0])
        if not 0 <= after <= protocol.MAX_ID:
            raise ValueError(after)
    if query.get("since"):
        since = datetime.fromisoformat(query["since"][0])
        if since.tzinfo is None:
            raise ValueError(since)
    return after, since
