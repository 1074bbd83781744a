"""Writes about messages."""

from messaging.services.messages import (
    MessageRejected,
    membership_read_mark,
    message_body_clean,
    message_create,
    message_delete,
    message_edit,
)
from messaging.services.pins import message_pin, message_unpin
from messaging.services.reactions import (
    REACTIONS_PER_USER_AND_MESSAGE,
    reaction_add,
    reaction_emoji_clean,
    reaction_remove,
)

__all__ = [
    "REACTIONS_PER_USER_AND_MESSAGE",
    "MessageRejected",
    "membership_read_mark",
    "message_body_clean",
    "message_create",
    "message_delete",
    "message_edit",
    "message_pin",
    "message_unpin",
    "reaction_add",
    "reaction_emoji_clean",
    "reaction_remove",
]
