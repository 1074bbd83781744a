"""Closing a user's open sockets when their session ends.

Sockets authenticate once, at the handshake, so ending a session must reach
the sockets it opened: each socket joins a group for its user and one for its
session, and these functions tell those groups to close.
"""

from realtime import events
from realtime.broadcast import group_send_on_commit
from realtime.groups import session_group_name, user_group_name


def user_sockets_close(*, user_id: int) -> None:
    """Close every open socket of the user (password changed, account deactivated)."""
    group_send_on_commit(user_group_name(user_id), events.session_ended())


def session_sockets_close(*, session_key: str) -> None:
    """Close the sockets that one session opened (that session logged out)."""
    group_send_on_commit(session_group_name(session_key), events.session_ended())
