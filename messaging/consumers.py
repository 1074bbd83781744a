"""The websocket side of a room. Thin: rules live in services and selectors."""

import logging
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.events import session_group_name, user_group_name
from messaging import protocol
from messaging.selectors import (
    iso_utc,
    message_changes_since,
    message_list,
    message_new_frame_text,
    message_payload,
)
from messaging.services import MessageRejected, message_create, message_delete, message_edit
from messaging.throttle import socket_slot_acquire, socket_slot_release
from rooms.events import room_group_name
from rooms.models import Room
from rooms.selectors import NotAMember, room_get_for_member

logger = logging.getLogger(__name__)

REMOVED_DETAIL = {
    "left": _lazy("You left this room."),
    "kicked": _lazy("A moderator removed you from this room. You may join it again."),
    "banned": _lazy("A moderator banned you from this room."),
}

room_get_for_member_async = database_sync_to_async(room_get_for_member)
message_edit_async = database_sync_to_async(message_edit)
message_delete_async = database_sync_to_async(message_delete)
socket_slot_acquire_async = database_sync_to_async(socket_slot_acquire)
socket_slot_release_async = database_sync_to_async(socket_slot_release)


@database_sync_to_async
def message_send(**kwargs: Any) -> tuple[str, bool]:
    """Store a message; return its ``message.new`` frame text and whether it is new."""
    message, created = message_create(**kwargs)
    return message_new_frame_text(message), created


@database_sync_to_async
def history_frame(*, room: Room, after: int | None, since: datetime | None) -> dict[str, Any]:
    # Read before the query, so a change made while it runs is sent again next time.
    server_time = iso_utc(timezone.now())
    if after is None:
        messages, has_more = message_list(room=room, limit=protocol.HISTORY_LIMIT)
    else:
        messages, has_more = message_list(room=room, after=after, limit=protocol.CATCH_UP_LIMIT)
    frame = {
        "type": "history",
        "messages": [message_payload(message) for message in messages],
        "has_more": has_more,
        "server_time": server_time,
    }
    if after is not None and since is not None:
        edited, deleted = message_changes_since(room=room, up_to=after, since=since)
        frame["edited"] = [message_payload(message) for message in edited]
        frame["deleted"] = deleted
    return frame


def catch_up_from_query(query_string: bytes) -> tuple[int | None, datetime | None]:
    """``?after=<id>&since=<server_time>`` from a reconnecting client.

    Raises ``ValueError`` when either is malformed.
    """
    query = parse_qs(query_string.decode("latin-1"))
    after = since = None
    if query.get("after"):
        after = int(query["after"][0])
        if after < 0:
            raise ValueError(after)
    if query.get("since"):
        since = datetime.fromisoformat(query["since"][0])
        if since.tzinfo is None:
            raise ValueError(since)
    return after, since


class RoomConsumer(AsyncJsonWebsocketConsumer):
    room: Room | None = None
    groups_joined: tuple[str, ...] = ()
    holds_socket_slot = False
    rate_limit_strikes = 0

    async def connect(self) -> None:
        self.user = self.scope["user"]
        slug = self.scope["url_route"]["kwargs"]["slug"]
        try:
            after, since = catch_up_from_query(self.scope.get("query_string", b""))
            after_error = None
        except ValueError:
            after = since = None
            after_error = protocol.error_frame(
                code=protocol.ErrorCode.INVALID,
                detail=_(
                    "after must be a message id and since a time with a zone; "
                    "sending the latest messages instead."
                ),
            )
        # Close codes only reach the client after the handshake, hence accept first.
        await self.accept()
        if not self.user.is_authenticated:
            await self.close(code=protocol.CLOSE_UNAUTHENTICATED)
            return
        try:
            room = await room_get_for_member_async(slug=slug, user=self.user)
            if not await socket_slot_acquire_async(user_id=self.user.pk):
                await self.close(code=protocol.CLOSE_TOO_MANY)
                return
            self.holds_socket_slot = True
            # Join before reading history: a message committed in between then
            # arrives twice (clients deduplicate by id) rather than not at all.
            await self.groups_join(room)
            history = await history_frame(room=room, after=after, since=since)
        except Room.DoesNotExist:
            await self.close(code=protocol.CLOSE_NO_SUCH_ROOM)
            return
        except NotAMember:
            await self.close(code=protocol.CLOSE_NOT_A_MEMBER)
            return
        except Exception:
            # Database or channel layer down: say "try again later", do not crash.
            logger.exception("Could not open a socket to room %s", slug)
            await self.close(code=protocol.CLOSE_TRY_AGAIN_LATER)
            return
        self.room = room
        if after_error is not None:
            await self.send_json(after_error)
        await self.send_json(history)

    async def groups_join(self, room: Room) -> None:
        groups = [room_group_name(room), user_group_name(self.user.pk)]
        session_key = getattr(self.scope.get("session"), "session_key", None)
        if session_key:
            groups.append(session_group_name(session_key))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined += (group,)

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer is down; its group entries expire by themselves
                logger.warning("Could not leave group %s", group)
        if self.holds_socket_slot:
            self.holds_socket_slot = False
            try:
                await socket_slot_release_async(user_id=self.user.pk)
            except Exception:
                logger.warning("Could not release a socket slot of user %s", self.user.pk)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.room is None:
            return
        try:
            frame = protocol.frame_parse(
                text_data=text_data,
                bytes_data=bytes_data,
                max_bytes=settings.PARLEY_MAX_FRAME_BYTES,
            )
        except protocol.ProtocolError as error:
            await self.send_json(error.as_frame())
            return
        if isinstance(frame, protocol.SendMessage):
            await self.message_send(frame)
        elif isinstance(frame, protocol.EditMessage):
            await self.message_change(message_edit_async, id=frame.id, body=frame.body)
        else:
            await self.message_change(message_delete_async, id=frame.id, reason=frame.reason)

    async def message_send(self, frame: protocol.SendMessage) -> None:
        client_id = frame.client_id or None
        try:
            text, _created = await message_send(
                room=self.room,
                author=self.user,
                body=frame.body,
                client_id=frame.client_id,
                sender_channel=self.channel_name,
            )
        except (NotAMember, Room.DoesNotExist):
            await self.send_error(
                protocol.ErrorCode.FORBIDDEN,
                _("You are no longer a member of this room."),
                client_id,
            )
            return
        except MessageRejected as rejected:
            await self.message_rejected(rejected, client_id)
            return
        except DatabaseError:
            logger.exception("Could not store a message in room %s", self.room.slug)
            await self.send_error(
                protocol.ErrorCode.UNAVAILABLE,
                _("The message could not be stored right now; it will be sent again."),
                client_id,
            )
            return
        self.rate_limit_strikes = 0
        # The sender's acknowledgement: sent once the message is committed, and
        # for a resend too, so it never depends on the broadcast arriving.
        await self.send(text_data=text)

    async def message_change(self, change: Any, *, id: int, **fields: str) -> None:
        """Edit or delete: the result reaches everyone, the sender too, as a room event."""
        try:
            await change(room=self.room, user=self.user, message_id=id, **fields)
        except (NotAMember, Room.DoesNotExist):
            await self.send_error(
                protocol.ErrorCode.FORBIDDEN, _("You are no longer a member of this room."), None
            )
        except MessageRejected as rejected:
            await self.send_error(rejected.code, rejected.detail, None, id=id, **rejected.extra)
        except DatabaseError:
            logger.exception("Could not change message %s", id)
            await self.send_error(
                protocol.ErrorCode.UNAVAILABLE, _("Try again in a moment."), None, id=id
            )

    async def message_rejected(self, rejected: MessageRejected, client_id: str | None) -> None:
        extra = {}
        if rejected.retry_after is not None:
            extra["retry_after"] = rejected.retry_after
        if rejected.code == protocol.ErrorCode.RATE_LIMITED:
            self.rate_limit_strikes += 1
            if self.rate_limit_strikes > settings.PARLEY_RATE_LIMIT_STRIKES:
                await self.close(code=protocol.CLOSE_TOO_MANY)
                return
        await self.send_error(rejected.code, rejected.detail, client_id, **extra, **rejected.extra)

    async def send_error(self, code: str, detail: str, client_id: str | None, **extra: Any) -> None:
        await self.send_json(
            protocol.error_frame(code=code, detail=detail, client_id=client_id, **extra)
        )

    # Group events: one handler each, and they only send.

    async def message_new(self, event: dict[str, Any]) -> None:
        if event.get("sender_channel") != self.channel_name:
            await self.send(text_data=event["text"])

    async def message_edited(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def message_deleted(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def room_updated(self, event: dict[str, Any]) -> None:
        await self.send_json(event)

    async def member_updated(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {
                "type": "member.updated",
                "member": event["member"],
                "is_me": event["user_id"] == self.user.pk,
            }
        )

    async def membership_revoked(self, event: dict[str, Any]) -> None:
        if event["user_id"] == self.user.pk:
            reason = event.get("reason", "left")
            await self.send_json(
                {"type": "removed", "reason": reason, "detail": str(REMOVED_DETAIL.get(reason, ""))}
            )
            await self.close(code=protocol.CLOSE_NOT_A_MEMBER)

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.close(code=protocol.CLOSE_UNAUTHENTICATED)
