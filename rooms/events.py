"""Live events for a room's open sockets, sent only once the data is committed."""

import logging
from typing import Any

from realtime.broadcast import group_send_on_commit
from realtime.groups import (
    room_activity_group_name,
    room_group_name,
    room_messages_group_name,
    user_group_name,
)
from rooms.models import Membership, Room

logger = logging.getLogger(__name__)


def room_message_send_on_commit(*, room: Room, event: dict[str, Any]) -> None:
    """Send a ``message.new`` event to every process with a socket in the room, once each."""
    group = room_messages_group_name(room.pk)
    group_send_on_commit(group, {**event, "group": group})


def room_event_send_on_commit(*, room: Room, event: dict[str, Any]) -> None:
    """Send ``event`` to the room's group after the current transaction commits."""
    group_send_on_commit(room_group_name(room.pk), event)


def room_payload(room: Room) -> dict[str, Any]:
    """The room's settings as the page shows them: JSON-safe values only."""
    return {
        "slug": room.slug,
        "name": room.name,
        "description": room.description,
        "visibility": room.visibility,
        "is_locked": room.is_locked,
        "slow_mode_seconds": room.slow_mode_seconds,
        "archived": room.is_archived,
        "is_archived": room.is_archived,
    }


def room_updated(room: Room) -> None:
    room_event_send_on_commit(room=room, event={"type": "room.updated", "room": room_payload(room)})


def member_updated(membership: Membership) -> None:
    room_event_send_on_commit(
        room=membership.room,
        event={
            "type": "member.updated",
            "user_id": membership.user_id,
            "member": {
                "username": membership.user.username,
                "role": membership.role,
                "muted_until": membership.muted_until.isoformat().replace("+00:00", "Z")
                if membership.is_muted
                else None,
            },
        },
    )


def member_removed(*, room: Room, user_id: int, reason: str) -> None:
    """Close the user's open sockets to the room, telling them why."""
    room_event_send_on_commit(
        room=room, event={"type": "membership.revoked", "user_id": user_id, "reason": reason}
    )


def room_activity_send_on_commit(*, room: Room, event: dict[str, Any]) -> None:
    group_send_on_commit(room_activity_group_name(room.pk), event)


def inbox_changed(*, user_id: int) -> None:
    """The user's rooms changed (joined, left): their sidebars follow the new set."""
    group_send_on_commit(user_group_name(user_id), {"type": "inbox.changed"})
