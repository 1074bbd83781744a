"""Reads about messages."""

import json
from typing import Any

from accounts.models import User
from messaging.models import Message
from rooms.models import Room


def message_payload(message: Message) -> dict[str, Any]:
    """A message as it travels on the wire: JSON-safe values only.

    ``channels_redis`` encodes events with msgpack, so a datetime that the
    in-memory layer would pass through must already be a string here.
    """
    created_at = message.created_at.isoformat().replace("+00:00", "Z")
    return {
        "id": message.pk,
        "room": message.room.slug,
        "author": {
            "username": message.author.username,
            "display_name": message.author.shown_name,
        },
        "body": message.body,
        "created_at": created_at,
        "client_id": message.client_id or None,
    }


def message_new_frame_text(message: Message) -> str:
    """The ``message.new`` frame for ``message``, encoded as the text sent on the wire."""
    return json.dumps({"type": "message.new", "message": message_payload(message)})


def message_list(
    *, room: Room, limit: int, before: int | None = None, after: int | None = None
) -> tuple[list[Message], bool]:
    """Up to ``limit`` messages of ``room``, oldest first, and whether more exist.

    With ``after`` the messages right after that id (catching up); otherwise
    the latest ones, or the latest ones before ``before`` (scrolling back).
    """
    messages = Message.objects.filter(room=room).select_related("author", "room")
    if after is not None:
        page = list(messages.filter(id__gt=after).order_by("id")[: limit + 1])
        return page[:limit], len(page) > limit
    if before is not None:
        messages = messages.filter(id__lt=before)
    page = list(messages.order_by("-id")[: limit + 1])
    return page[:limit][::-1], len(page) > limit


def message_get_by_client_id(*, room: Room, author: User, client_id: str) -> Message | None:
    return (
        Message.objects.select_related("author", "room")
        .filter(room=room, author=author, client_id=client_id)
        .first()
    )
