"""One open room page. Thin: rules live in services and selectors."""

import asyncio
import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from messaging import protocol
from messaging.consumers.common import (
    catch_up_from_query,
    frame_token_take_async,
    history_frame,
    membership_read_mark_async,
    message_delete_async,
    message_edit_async,
    message_store,
    presence_enter_async,
    presence_leave_async,
    presence_snapshot,
    room_get_for_member_async,
)
from messaging.consumers.transport import SocketTransport
from messaging.services import MessageRejected
from messaging.throttle import retry_after_seconds
from realtime.fanout import RoomFanout, room_fanout
from realtime.groups import (
    room_group_name,
    room_messages_group_name,
    room_presence_group_name,
    session_group_name,
    user_group_name,
)
from rooms.models import Room
from rooms.selectors import NotAMember

logger = logging.getLogger(__name__)

REMOVED_DETAIL = {
    "left": _lazy("You left this room."),
    "kicked": _lazy("A moderator removed you from this room. You may join it again."),
    "banned": _lazy("A moderator banned you from this room."),
}
# A typing notice goes out at most this often per socket; pages drop it after a few seconds.
TYPING_MIN_INTERVAL = 2.5


# Events handled without Channels' detour through the database thread. Its
# dispatch() first closes stale database connections on that thread, for every
# event. Group events whose handlers only write to the socket touch no
# connection; a frame from the page reaches the database only through the
# functions in consumers/common.py, whose database_sync_to_async closes stale
# connections itself. For these the detour is pure cost: a thread round trip
# before every received chat message, queued behind every other socket's
# database work.
# A removal goes direct too, so it is not held up behind the database thread
# while the fan-out, which never waits for it, writes later messages to the socket.
DIRECT_EVENTS = frozenset(
    {
        "websocket.receive",
        "message.edited",
        "message.deleted",
        "typing",
        "presence.changed",
        "membership.revoked",
    }
)


class RoomConsumer(SocketTransport, AsyncJsonWebsocketConsumer):
    room: Room | None = None
    room_joined: Room | None = None
    groups_joined: tuple[str, ...] = ()
    heartbeat: asyncio.Task | None = None
    online_sent: tuple[str, ...] | None = None
    typing_sent_at = 0.0
    # Pages ask for presence and typing with ?presence=1; other clients (bots,
    # load tests) are counted as present but not sent that chatter.
    wants_presence = False
    fanout: RoomFanout | None = None

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
            if not await self.socket_slot_take():
                return
            # Pages ask for presence and typing with ?presence=1 (see wants_presence).
            self.wants_presence = b"presence=1" in self.scope.get("query_string", b"").split(b"&")
            # Join before reading history: a message committed in between then
            # arrives twice (clients deduplicate by id) rather than not at all.
            await self.groups_join(room)
            history = await history_frame(room=room, after=after, since=since)
            started = await self.transport_start()
            # Asked again now that the groups are joined: a removal committed since
            # the first check was announced to groups this socket was not in yet,
            # and one committed from now on is announced to this socket. Asked
            # last, so nothing posted after a removal it missed can be released
            # to the page below.
            await room_get_for_member_async(slug=slug, user=self.user)
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
        if not started:
            return
        self.room = room
        self.me = {"username": self.user.username, "display_name": self.user.shown_name}
        first = [history] if after_error is None else [after_error, history]
        self.outbound.release(*[await self.encode_json(frame) for frame in first])
        await self.presence_start()

    async def send_json(self, content: Any, close: bool = False) -> None:
        # Channels' send_json calls its parent's send(), past the override above.
        await self.send(text_data=await self.encode_json(content), close=close)

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message["type"] in DIRECT_EVENTS:
            await getattr(self, message["type"].replace(".", "_"))(message)
            return
        await super().dispatch(message)

    async def groups_join(self, room: Room) -> None:
        self.room_joined = room
        groups = [room_group_name(room.pk), user_group_name(self.user.pk)]
        session_key = getattr(self.scope.get("session"), "session_key", None)
        if session_key:
            groups.append(session_group_name(session_key))
        if self.wants_presence:
            # Presence and typing chatter goes only to pages that show it.
            groups.append(room_presence_group_name(room.pk))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined += (group,)
        # New messages come through the process's fan-out, not this socket's channel;
        # they wait in the outbound queue until the history frame has gone (connect()).
        self.outbound.hold()
        self.fanout = room_fanout()
        await self.fanout.join(room_messages_group_name(room.pk), self)

    async def disconnect(self, code: int) -> None:
        await self.socket_cleanup_once()

    async def socket_cleanup(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        if self.fanout is not None:
            try:
                await self.fanout.leave(room_messages_group_name(self.room_joined.pk), self)
            except Exception:  # the layer is down; the rest of the clean-up still runs
                logger.warning("Could not leave the fan-out of room %s", self.room_joined.slug)
        if self.room is not None:
            await self.presence_end()
        for group in self.groups_joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer is down; its group entries expire by themselves
                logger.warning("Could not leave group %s", group)

    # --- Presence: announced on arrival and departure, re-synced on every heartbeat

    async def presence_start(self) -> None:
        try:
            came_online = await presence_enter_async(
                room_id=self.room.pk, user_id=self.user.pk, channel=self.channel_name
            )
            if came_online:
                await self.presence_broadcast(
                    {"type": "presence.changed", "user": self.me, "online": True}
                )
            await self.presence_sync()
        except Exception:
            logger.warning("Presence unavailable in room %s", self.room.slug, exc_info=True)
        self.heartbeat = asyncio.create_task(self.presence_heartbeat())

    async def presence_heartbeat(self) -> None:
        while True:
            await asyncio.sleep(settings.PARLEY_PRESENCE_HEARTBEAT)
            try:
                await presence_enter_async(
                    room_id=self.room.pk, user_id=self.user.pk, channel=self.channel_name
                )
                await self.presence_sync()
            except Exception:
                logger.warning("Presence heartbeat failed in room %s", self.room.slug)

    async def presence_sync(self) -> None:
        """Send who is online, when it differs from what this page was last told."""
        if not self.wants_presence:
            return
        online = await presence_snapshot(room=self.room)
        names = tuple(user["username"] for user in online)
        if names != self.online_sent:
            self.online_sent = names
            await self.send_json({"type": "presence", "online": online})

    async def presence_end(self) -> None:
        try:
            went_offline = await presence_leave_async(
                room_id=self.room.pk, user_id=self.user.pk, channel=self.channel_name
            )
            if went_offline:
                await self.presence_broadcast(
                    {"type": "presence.changed", "user": self.me, "online": False}
                )
        except Exception:
            logger.warning("Could not record leaving room %s", self.room.slug)

    async def presence_broadcast(self, event: dict[str, Any]) -> None:
        await self.channel_layer.group_send(room_presence_group_name(self.room.pk), event)

    # --- Frames from the page

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.room is None or self.closing:
            return
        if not await self.frame_budget_take() or protocol.is_pong(text_data):
            return  # a pong no ping asked for costs the budget and nothing else
        try:
            frame = protocol.frame_parse(
                text_data=text_data,
                bytes_data=bytes_data,
                max_bytes=settings.PARLEY_MAX_FRAME_BYTES,
            )
        except protocol.ProtocolError as error:
            await self.refuse(error.as_frame())
            return
        if isinstance(frame, protocol.SendMessage):
            await self.message_send_frame(frame)
        elif isinstance(frame, protocol.EditMessage):
            await self.message_change(message_edit_async, id=frame.id, body=frame.body)
        elif isinstance(frame, protocol.DeleteMessage):
            await self.message_change(message_delete_async, id=frame.id, reason=frame.reason)
        elif isinstance(frame, protocol.Typing):
            await self.typing_frame(frame)
        else:
            await self.read_frame(frame)

    async def message_send_frame(self, frame: protocol.SendMessage) -> None:
        client_id = frame.client_id or None
        try:
            text, _created = await message_store(
                room=self.room,
                author=self.user,
                body=frame.body,
                client_id=frame.client_id,
                sender_channel=self.channel_name,
            )
        except (NotAMember, Room.DoesNotExist):
            await self.refuse(self.not_a_member_frame(client_id))
            return
        except MessageRejected as rejected:
            await self.message_rejected(rejected, client_id)
            return
        except Exception:
            # Database or cache (rate limits) down: say so; the page keeps the message.
            logger.exception("Could not store a message in room %s", self.room.slug)
            await self.send_error(
                protocol.ErrorCode.UNAVAILABLE,
                _("The message could not be stored right now; it will be sent again."),
                client_id,
            )
            return
        self.strikes = 0
        # The sender's acknowledgement: sent once the message is committed, and
        # for a resend too, so it never depends on the broadcast arriving.
        await self.send(text_data=text)

    async def message_change(self, change: Any, *, id: int, **fields: str) -> None:
        """Edit or delete: the result reaches everyone, the sender too, as a room event."""
        try:
            await change(room=self.room, user=self.user, message_id=id, **fields)
        except (NotAMember, Room.DoesNotExist):
            await self.refuse(self.not_a_member_frame(None))
            return
        except MessageRejected as rejected:
            await self.message_rejected(rejected, None, id=id)
            return
        except Exception:
            # Database or cache (rate limits) down.
            logger.exception("Could not change message %s", id)
            await self.send_error(
                protocol.ErrorCode.UNAVAILABLE, _("Try again in a moment."), None, id=id
            )
            return
        self.strikes = 0

    async def typing_frame(self, frame: protocol.Typing) -> None:
        now = self.clock()
        if frame.active and now - self.typing_sent_at < TYPING_MIN_INTERVAL:
            self.strikes = 0
            return
        if not await self.frame_token_take():
            return
        self.typing_sent_at = now if frame.active else 0.0
        try:
            await self.presence_broadcast(
                {"type": "typing", "user": self.me, "active": frame.active}
            )
        except Exception:  # the layer is down: a typing notice is not worth a crash
            logger.warning("Could not send a typing notice in room %s", self.room.slug)

    async def read_frame(self, frame: protocol.MarkRead) -> None:
        if not await self.frame_token_take():
            return
        try:
            last_read = await membership_read_mark_async(
                room=self.room, user=self.user, message_id=frame.id
            )
        except DatabaseError:
            logger.warning("Could not move the read marker in room %s", self.room.slug)
            return
        # Every page of this user (other tabs, the sidebar) learns the new marker.
        try:
            await self.channel_layer.group_send(
                user_group_name(self.user.pk),
                {"type": "room.read", "room": self.room.slug, "last_read_id": last_read},
            )
        except Exception:  # stored; the other pages learn it when they next load
            logger.warning("Could not tell the other pages of a read marker")

    async def frame_token_take(self) -> bool:
        """Take a token from the user's bucket shared by all their sockets; False if refused."""
        try:
            wait = await frame_token_take_async(user_id=self.user.pk)
        except Exception:  # the cache is down: the socket's own budget still holds
            logger.warning("Could not check the frame rate of user %s", self.user.pk)
            wait = 0.0
        if wait:
            await self.refuse(
                protocol.error_frame(
                    code=protocol.ErrorCode.RATE_LIMITED,
                    detail=_("You are sending frames too fast; wait %(s).1f s.") % {"s": wait},
                    retry_after=retry_after_seconds(wait),
                )
            )
            return False
        self.strikes = 0
        return True

    def not_a_member_frame(self, client_id: str | None) -> dict[str, Any]:
        return protocol.error_frame(
            code=protocol.ErrorCode.FORBIDDEN,
            detail=_("You are no longer a member of this room."),
            client_id=client_id,
        )

    async def message_rejected(
        self, rejected: MessageRejected, client_id: str | None, **extra: Any
    ) -> None:
        if rejected.retry_after is not None:
            extra["retry_after"] = rejected.retry_after
        await self.refuse(
            protocol.error_frame(
                code=rejected.code,
                detail=rejected.detail,
                client_id=client_id,
                **extra,
                **rejected.extra,
            )
        )

    async def send_error(self, code: str, detail: str, client_id: str | None, **extra: Any) -> None:
        await self.send_json(
            protocol.error_frame(code=code, detail=detail, client_id=client_id, **extra)
        )

    # --- Group events: one handler each, and they only send

    # --- New messages, written by the room fan-out (realtime/fanout.py)

    def push_text(self, text: str) -> None:
        self.outbound.put(text)

    def layer_lost_push(self) -> None:
        self.close_now(protocol.CLOSE_TRY_AGAIN_LATER)

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

    async def presence_changed(self, event: dict[str, Any]) -> None:
        if self.wants_presence:
            await self.send_json(event)

    async def typing(self, event: dict[str, Any]) -> None:
        if self.wants_presence and event["user"]["username"] != self.user.username:
            await self.send_json(event)

    async def room_read(self, event: dict[str, Any]) -> None:
        if event["room"] == self.room.slug:
            await self.send_json({"type": "read", "last_read_id": event["last_read_id"]})

    async def inbox_changed(self, event: dict[str, Any]) -> None:
        """For the sidebar's socket; a room page has nothing to redraw."""

    async def membership_revoked(self, event: dict[str, Any]) -> None:
        if event["user_id"] == self.user.pk:
            reason = event.get("reason", "left")
            await self.send_json(
                {"type": "removed", "reason": reason, "detail": str(REMOVED_DETAIL.get(reason, ""))}
            )
            await self.close(code=protocol.CLOSE_NOT_A_MEMBER)

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.close(code=protocol.CLOSE_UNAUTHENTICATED)

    async def layer_lost(self, event: dict[str, Any]) -> None:
        """This process lost Redis (realtime/layers.py): the page reconnects and catches up."""
        await self.close(code=protocol.CLOSE_TRY_AGAIN_LATER)
