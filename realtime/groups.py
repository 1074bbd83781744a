"""Every channel-layer group name in Parley, and who is in it.

A socket joins groups when it opens and leaves them in its clean-up; services
send to them (``realtime.broadcast``) once their transaction commits. Names
are built from ids only, so nothing here needs a model.
"""

import hashlib


def room_group_name(room_id: int) -> str:
    """Every open socket of the room: edits, deletes, moderation, settings."""
    return f"room-{room_id}"


def room_messages_group_name(room_id: int) -> str:
    """Each process's room fan-out (realtime/fanout.py): new messages only."""
    return f"room-{room_id}-messages"


def room_presence_group_name(room_id: int) -> str:
    """Open pages that show who is online and typing in the room."""
    return f"presence-{room_id}"


def room_activity_group_name(room_id: int) -> str:
    """Sidebars following the room: told about new messages only."""
    return f"activity-{room_id}"


def user_group_name(user_id: int) -> str:
    """Every open socket of one user: read markers, their rooms changing, the account closing."""
    return f"user-{user_id}"


def session_group_name(session_key: str) -> str:
    """The sockets one session opened, closed when it ends."""
    # Session keys are secrets: never put them in a group name (Redis keys) as they are.
    return "session-" + hashlib.sha256(session_key.encode()).hexdigest()[:40]
