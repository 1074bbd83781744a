"""The websocket side of a room. Thin: rules live in services and selectors."""

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from messaging import protocol
from messaging.selectors import message_list, message_payload
from messaging.services import MessageRejected, message_create
from rooms.events import room_group_name
from rooms.models import Room
from rooms.selectors import NotAMember, room_get_for_member

room_get_for_member_async = database_sync_to_async(room_get_for_member)
message_create_async = database_sync_to_async(message_create)


@database_sync_to_async
def history_frame(*, room: Room, after: int | None) -> dict[str, Any]:
    if after is None:
        messages, has_more = message_list(room=room, limit=protocol.HISTORY_LIMIT)
    else:
        messages, has_more = message_list(room=room, after=after, limit=protocol.CATCH_UP_LIMIT)
    return {
        "type": "history",
        "messages": [message_payload(message) for message in messages],
        "has_more": has_more,
    }


def after_from_query(query_string: bytes) -> int | None:
    """The ``?after=<id>`` a reconnecting client sends; raises ``ValueError`` if malformed."""
    values = parse_qs(query_string.decode("latin-1")).get("after")
    if not values:
        return None
    after = int(values[0])
    if after < 0:
        raise ValueError(after)
    return after


class RoomConsumer(AsyncJsonWebsocketConsumer):
    room: Room | None = None

    async def connect(self) -> None:
        self.user = self.scope["user"]
        slug = self.scope["url_route"]["kwargs"]["slug"]
        # Close codes only reach the client after the handshake, hence accept first.
        if not self.user.is_authenticated:
            await self.accept()
            await self.close(code=protocol.CLOSE_UNAUTHENTICATED)
            return
        try:
            room = await room_get_for_member_async(slug=slug, user=self.user)
        except Room.DoesNotExist:
            await self.accept()
            await self.close(code=protocol.CLOSE_NO_SUCH_ROOM)
            return
        except NotAMember:
            await self.accept()
            await self.close(code=protocol.CLOSE_NOT_A_MEMBER)
            return

        self.room = room
        # Join the group before reading history: a message committed in between
        # then arrives twice (clients deduplicate by id) rather than not at all.
        await self.channel_layer.group_add(room_group_name(room), self.channel_name)
        await self.accept()

        try:
            after = after_from_query(self.scope.get("query_string", b""))
        except ValueError:
            after = None
            await self.send_json(
                protocol.error_frame(
                    code=protocol.ErrorCode.INVALID,
                    detail=_("after must be a message id; sending the latest messages instead."),
                )
            )
        await self.send_json(await history_frame(room=room, after=after))

    async def disconnect(self, code: int) -> None:
        if self.room is not None:
            await self.channel_layer.group_discard(room_group_name(self.room), self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = protocol.frame_parse(text_data=text_data, bytes_data=bytes_data)
        except protocol.ProtocolError as error:
            await self.send_json(error.as_frame())
            return
        try:
            message, created = await message_create_async(
                room=self.room, author=self.user, body=frame.body, client_id=frame.client_id
            )
        except (NotAMember, Room.DoesNotExist):
            await self.send_json(
                protocol.error_frame(
                    code=protocol.ErrorCode.FORBIDDEN,
                    detail=_("You are no longer a member of this room."),
                    client_id=frame.client_id or None,
                )
            )
            return
        except MessageRejected as rejected:
            await self.send_json(
                protocol.error_frame(
                    code=rejected.code, detail=rejected.detail, client_id=frame.client_id or None
                )
            )
            return
        if not created:
            # A resend of a stored message: acknowledge it to the sender alone.
            await self.send_json({"type": "message.new", "message": message_payload(message)})

    # Group events: one handler each, and they only send.

    async def message_new(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "message.new", "message": event["message"]})

    async def membership_revoked(self, event: dict[str, Any]) -> None:
        if event["user_id"] == self.user.pk:
            await self.close(code=protocol.CLOSE_NOT_A_MEMBER)
