"""Announcing a room's changes to its open sockets, once the change is committed.

These turn models into the arguments of the builders in realtime/events.py,
where every event's shape is written.
"""

from realtime import events
from realtime.broadcast import group_send_on_commit
from realtime.groups import room_group_name, user_group_name
from rooms.models import Membership, Room


def room_fields(room: Room) -> events.RoomFields:
    """The room's settings as the page shows them."""
    return events.room_fields(
        slug=room.slug,
        name=room.name,
        description=room.description,
        visibility=room.visibility,
        is_locked=room.is_locked,
        slow_mode_seconds=room.slow_mode_seconds,
        is_archived=room.is_archived,
    )


def room_updated(room: Room) -> None:
    group_send_on_commit(room_group_name(room.pk), events.room_updated(room=room_fields(room)))


def member_updated(membership: Membership) -> None:
    group_send_on_commit(
        room_group_name(membership.room_id),
        events.member_updated_event(
            user_id=membership.user_id,
            username=membership.user.username,
            role=membership.role,
            muted_until=events.iso_utc(membership.muted_until) if membership.is_muted else None,
        ),
    )


def member_removed(*, room: Room, user_id: int, reason: str) -> None:
    """Close the user's open sockets to the room, telling them why."""
    group_send_on_commit(
        room_group_name(room.pk), events.membership_revoked(user_id=user_id, reason=reason)
    )


def inbox_changed(*, user_id: int) -> None:
    """The user's rooms changed (joined, left): their sidebars follow the new set."""
    group_send_on_commit(user_group_name(user_id), events.inbox_changed())
