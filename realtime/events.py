"""Every event and frame Parley sends: one typed definition and one builder each.

Group events travel through the channel layer to the consumers; frames travel
on the socket to the page (README, "The websocket protocol"). Where the two
have the same shape (``message.edited``, ``typing``...) one definition serves
both. Builders take plain values only, never a model or a datetime:
``channels_redis`` encodes events with msgpack, which the in-memory layer of
the tests skips, so a value it cannot encode must be refused where the event
is made (``realtime.broadcast`` round-trips events through JSON in tests and
with DEBUG). The apps turn their models into these arguments.
"""

import json
from datetime import datetime
from typing import Any, NotRequired, TypedDict


def iso_utc(moment: datetime | None) -> str | None:
    """A moment as the wire writes it: ISO 8601, UTC as ``Z``."""
    return moment.isoformat().replace("+00:00", "Z") if moment else None


# --- Parts that several events carry


class Person(TypedDict):
    username: str
    display_name: str
    # The uploaded picture (accounts.selectors.person_of), or None: initials then.
    avatar_url: str | None


def person(*, username: str, display_name: str, avatar_url: str | None = None) -> Person:
    return {"username": username, "display_name": display_name, "avatar_url": avatar_url}


class AttachmentFields(TypedDict):
    """An uploaded file; ``url`` and ``thumbnail_url`` are checked on every request."""

    id: int
    name: str
    size: int
    content_type: str
    url: str
    # None until the thumbnail task has made it (images only), then announced
    # with the message it belongs to as ``message.edited``.
    thumbnail_url: str | None
    width: int | None
    height: int | None


def attachment_fields(
    *,
    id: int,
    name: str,
    size: int,
    content_type: str,
    url: str,
    thumbnail_url: str | None,
    width: int | None,
    height: int | None,
) -> AttachmentFields:
    return {
        "id": id,
        "name": name,
        "size": size,
        "content_type": content_type,
        "url": url,
        "thumbnail_url": thumbnail_url,
        "width": width,
        "height": height,
    }


class ReplyTo(TypedDict):
    """The message a reply quotes: enough to show the quote without loading it."""

    id: int
    author: Person
    excerpt: str


def reply_to(*, id: int, author: Person, excerpt: str) -> ReplyTo:
    return {"id": id, "author": author, "excerpt": excerpt}


class ReactionCount(TypedDict):
    emoji: str
    count: int
    users: list[str]


def reaction_count(*, emoji: str, users: list[str]) -> ReactionCount:
    return {"emoji": emoji, "count": len(users), "users": users}


class MessageFields(TypedDict):
    id: int
    room: str
    author: Person
    body: str
    html: str
    mentions: list[str]
    created_at: str | None
    edited_at: str | None
    client_id: str | None
    attachments: list[AttachmentFields]
    reply_to: ReplyTo | None
    reactions: list[ReactionCount]
    pinned: bool


def message_fields(
    *,
    id: int,
    room: str,
    author: Person,
    body: str,
    html: str,
    mentions: list[str],
    created_at: str | None,
    edited_at: str | None,
    client_id: str | None,
    attachments: list[AttachmentFields],
    reply_to: ReplyTo | None = None,
    reactions: list[ReactionCount] | None = None,
    pinned: bool = False,
) -> MessageFields:
    return {
        "id": id,
        "room": room,
        "author": author,
        "body": body,
        "html": html,
        "mentions": mentions,
        "created_at": created_at,
        "edited_at": edited_at,
        "client_id": client_id,
        "attachments": attachments,
        "reply_to": reply_to,
        "reactions": reactions or [],
        "pinned": pinned,
    }


class RoomFields(TypedDict):
    slug: str
    name: str
    description: str
    visibility: str
    is_locked: bool
    slow_mode_seconds: int
    archived: bool
    is_archived: bool


def room_fields(
    *,
    slug: str,
    name: str,
    description: str,
    visibility: str,
    is_locked: bool,
    slow_mode_seconds: int,
    is_archived: bool,
) -> RoomFields:
    return {
        "slug": slug,
        "name": name,
        "description": description,
        "visibility": visibility,
        "is_locked": is_locked,
        "slow_mode_seconds": slow_mode_seconds,
        # Both spellings: older pages read ``archived``.
        "archived": is_archived,
        "is_archived": is_archived,
    }


class MemberFields(TypedDict):
    username: str
    role: str
    muted_until: str | None


class UnreadRoom(TypedDict):
    slug: str
    name: str
    kind: str
    unread: int
    mentions: int


# --- Messages


class MessageNew(TypedDict):
    """The frame: the message as every member, the sender too, receives it."""

    type: str
    message: MessageFields


def message_new_text(message: MessageFields) -> str:
    """The ``message.new`` frame, encoded once: the fan-out writes this text to every socket."""
    frame: MessageNew = {"type": "message.new", "message": message}
    return json.dumps(frame)


class MessageNewEvent(TypedDict):
    """The group event carrying the encoded frame to each process's room fan-out."""

    type: str
    text: str
    # The sending socket, which acknowledges by itself and is skipped by the fan-out.
    sender_channel: str
    group: str


def message_new_event(*, text: str, sender_channel: str, group: str) -> MessageNewEvent:
    return {"type": "message.new", "text": text, "sender_channel": sender_channel, "group": group}


class MessageEdited(TypedDict):
    type: str
    message: MessageFields


def message_edited(*, message: MessageFields) -> MessageEdited:
    return {"type": "message.edited", "message": message}


class MessageDeleted(TypedDict):
    type: str
    id: int


def message_deleted(*, id: int) -> MessageDeleted:
    return {"type": "message.deleted", "id": id}


class ReactionChanged(TypedDict):
    """``reaction.added`` or ``reaction.removed``: one person's emoji on one message."""

    type: str
    message_id: int
    emoji: str
    user: Person


def reaction_added(*, message_id: int, emoji: str, user: Person) -> ReactionChanged:
    return {"type": "reaction.added", "message_id": message_id, "emoji": emoji, "user": user}


def reaction_removed(*, message_id: int, emoji: str, user: Person) -> ReactionChanged:
    return {"type": "reaction.removed", "message_id": message_id, "emoji": emoji, "user": user}


class MessagePinned(TypedDict):
    type: str
    id: int
    message: MessageFields
    pinned_by: Person


def message_pinned(*, message: MessageFields, pinned_by: Person) -> MessagePinned:
    return {
        "type": "message.pinned",
        "id": message["id"],
        "message": message,
        "pinned_by": pinned_by,
    }


class MessageUnpinned(TypedDict):
    type: str
    id: int


def message_unpinned(*, id: int) -> MessageUnpinned:
    return {"type": "message.unpinned", "id": id}


class History(TypedDict):
    type: str
    messages: list[MessageFields]
    has_more: bool
    server_time: str | None
    # Only when a reconnecting page asked for changes since its last history frame.
    edited: NotRequired[list[MessageFields]]
    deleted: NotRequired[list[int]]


def history(
    *,
    messages: list[MessageFields],
    has_more: bool,
    server_time: str | None,
    edited: list[MessageFields] | None = None,
    deleted: list[int] | None = None,
) -> History:
    frame: History = {
        "type": "history",
        "messages": messages,
        "has_more": has_more,
        "server_time": server_time,
    }
    if edited is not None and deleted is not None:
        frame["edited"] = edited
        frame["deleted"] = deleted
    return frame


# --- The room and its members


class RoomUpdated(TypedDict):
    type: str
    room: RoomFields


def room_updated(*, room: RoomFields) -> RoomUpdated:
    return {"type": "room.updated", "room": room}


class MemberUpdatedEvent(TypedDict):
    type: str
    user_id: int
    member: MemberFields


def member_updated_event(
    *, user_id: int, username: str, role: str, muted_until: str | None
) -> MemberUpdatedEvent:
    return {
        "type": "member.updated",
        "user_id": user_id,
        "member": {"username": username, "role": role, "muted_until": muted_until},
    }


class MemberUpdated(TypedDict):
    """The frame: ``is_me`` tells the page the change is about its own user."""

    type: str
    member: MemberFields
    is_me: bool


def member_updated(*, member: MemberFields, is_me: bool) -> MemberUpdated:
    return {"type": "member.updated", "member": member, "is_me": is_me}


class MembershipRevoked(TypedDict):
    type: str
    user_id: int
    reason: str


def membership_revoked(*, user_id: int, reason: str) -> MembershipRevoked:
    return {"type": "membership.revoked", "user_id": user_id, "reason": reason}


class Removed(TypedDict):
    """The frame a removed member's page gets just before its socket closes with 4403."""

    type: str
    reason: str
    detail: str


def removed(*, reason: str, detail: str) -> Removed:
    return {"type": "removed", "reason": reason, "detail": detail}


# --- Presence and typing


class Presence(TypedDict):
    type: str
    online: list[Person]


def presence(*, online: list[Person]) -> Presence:
    return {"type": "presence", "online": online}


class PresenceChanged(TypedDict):
    type: str
    user: Person
    online: bool


def presence_changed(*, user: Person, online: bool) -> PresenceChanged:
    return {"type": "presence.changed", "user": user, "online": online}


class TypingNotice(TypedDict):
    type: str
    user: Person
    active: bool


def typing(*, user: Person, active: bool) -> TypingNotice:
    return {"type": "typing", "user": user, "active": active}


# --- Read markers and unread counts


class RoomRead(TypedDict):
    """The group event to all of a user's pages: their read marker in ``room`` moved."""

    type: str
    room: str
    last_read_id: int


def room_read(*, room: str, last_read_id: int) -> RoomRead:
    return {"type": "room.read", "room": room, "last_read_id": last_read_id}


class Read(TypedDict):
    type: str
    # The sidebar's frame names the room; a room page's is about its own room.
    room: NotRequired[str]
    last_read_id: int


def read(*, last_read_id: int, room: str | None = None) -> Read:
    if room is None:
        return {"type": "read", "last_read_id": last_read_id}
    return {"type": "read", "room": room, "last_read_id": last_read_id}


class RoomActivity(TypedDict):
    """The group event to the sidebars following a room: a new message in it."""

    type: str
    room: str
    id: int
    author_id: int
    author: str
    mention_ids: list[int]
    excerpt: str


def room_activity(
    *, room: str, id: int, author_id: int, author: str, mention_ids: list[int], excerpt: str
) -> RoomActivity:
    return {
        "type": "room.activity",
        "room": room,
        "id": id,
        "author_id": author_id,
        "author": author,
        "mention_ids": mention_ids,
        "excerpt": excerpt,
    }


class Unread(TypedDict):
    type: str
    room: str
    id: int
    mention: bool
    author: str
    excerpt: str


def unread(*, room: str, id: int, mention: bool, author: str, excerpt: str) -> Unread:
    return {
        "type": "unread",
        "room": room,
        "id": id,
        "mention": mention,
        "author": author,
        "excerpt": excerpt,
    }


class UnreadSnapshot(TypedDict):
    type: str
    rooms: list[UnreadRoom]


def unread_snapshot(*, rooms: list[UnreadRoom]) -> UnreadSnapshot:
    return {"type": "unread.snapshot", "rooms": rooms}


class Signal(TypedDict):
    """An event that says one thing and carries nothing else."""

    type: str


def inbox_changed() -> Signal:
    """The user's rooms changed (joined, left): their sidebars follow the new set."""
    return {"type": "inbox.changed"}


def session_ended() -> Signal:
    """The session (or every session of the user) ended: its sockets close with 4401."""
    return {"type": "session.ended"}


LAYER_LOST = "layer.lost"


def layer_lost() -> Signal:
    """This process lost the channel layer: its sockets close so their pages catch up."""
    return {"type": LAYER_LOST}


def inbound_overflow() -> Signal:
    """From a socket's own inbound buffer: the client sent frames faster than they were served."""
    return {"type": "inbound.overflow"}


# --- The socket itself


class Error(TypedDict):
    type: str
    code: str
    detail: str
    client_id: str | None
    # Some codes add fields: retry_after, until, id.


def error(*, code: str, detail: str, client_id: str | None = None, **extra: Any) -> Error:
    return {"type": "error", "code": str(code), "detail": detail, "client_id": client_id, **extra}


def ping() -> Signal:
    """The server's heartbeat; the page answers ``{"type": "pong"}``."""
    return {"type": "ping"}
