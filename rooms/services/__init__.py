"""Writes about rooms, their members and invitations."""

from rooms.services.direct import direct_room_get_or_create
from rooms.services.invitations import (
    InvitationUnusable,
    invitation_accept,
    invitation_create,
    invitation_revoke,
)
from rooms.services.members import (
    OwnerCannotLeave,
    member_ban,
    member_kick,
    member_mute,
    member_role_set,
    member_unban,
    member_unmute,
    membership_create,
    membership_revoke,
    ownership_transfer,
    room_join,
)
from rooms.services.rooms import (
    RoomCreateLimited,
    room_archive_set,
    room_create,
    room_lock_set,
    room_slow_mode_set,
    room_update,
)

__all__ = [
    "InvitationUnusable",
    "OwnerCannotLeave",
    "RoomCreateLimited",
    "direct_room_get_or_create",
    "invitation_accept",
    "invitation_create",
    "invitation_revoke",
    "member_ban",
    "member_kick",
    "member_mute",
    "member_role_set",
    "member_unban",
    "member_unmute",
    "membership_create",
    "membership_revoke",
    "ownership_transfer",
    "room_archive_set",
    "room_create",
    "room_join",
    "room_lock_set",
    "room_slow_mode_set",
    "room_update",
]
