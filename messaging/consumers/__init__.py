"""The websocket side of Parley: one consumer per room page, one for the sidebar."""

from messaging.consumers.inbox import InboxConsumer
from messaging.consumers.room import RoomConsumer

__all__ = ["InboxConsumer", "RoomConsumer"]
