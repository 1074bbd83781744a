"""One open room page: orchestration only; rules live in services and selectors."""

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, ClassVar, TypeVar

from django.conf import settings
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.selectors import person_of
from messaging import protocol
from messaging.consumers.base import EventHandler, SocketConsumer, frames_too_fast
from messaging.consumers.common import (
    catch_up_from_query,
    frame_token_take_async,
    history_frame,
    membership_read_mark_async,
    message_delete_async,
    message_edit_async,
    message_pin_async,
    message_store,
    message_unpin_async,
    reaction_add_async,
    reaction_remove_async,
    room_get_for_member_async,
)
from messaging.consumers.presence import RoomPresence
from messaging.services import MessageRejected
from messaging.typing_notices import TypingThrottle, typing_announce
from realtime import events
from realtime.fanout import RoomFanout, room_fanout
from realtime.groups import room_group_name, room_messages_group_name, room_presence_group_name
from rooms.models import Room
from rooms.selectors import NotAMember

logger = logging.getLogger(__name__)

REMOVED_DETAIL = {
    "left": _lazy("You left this room."),
    "kicked": _lazy("A moderator removed you from this room. You may join it again."),
    "banned": _lazy("A moderator banned you from this room."),
}

Result = TypeVar("Result")
FrameHandler = Callable[[Any, Any], Awaitable[bool]]


class RoomConsumer(SocketConsumer):
    room: Room | None = None
    room_joined: Room | None = None
    # Pages ask for presence and typing with ?presence=1; other clients (bots,
    # load tests) are counted as present but not sent that chatter.
    wants_presence = False
    fanout: RoomFanout | None = None
    presence: RoomPresence | None = None

    async def open(self) -> None:
        slug = self.scope["url_route"]["kwargs"]["slug"]
        query = self.scope.get("query_string", b"")
        try:
            after, since = catch_up_from_query(query)
            after_error = None
        except ValueError:
            after = since = None
            after_error = events.error(
                code=protocol.ErrorCode.INVALID,
                detail=_(
                    "after must be a message id and since a time with a zone; "
                    "sending the latest messages instead."
                ),
            )
        self.wants_presence = b"presence=1" in query.split(b"&")
        try:
            room = await room_get_for_member_async(slug=slug, user=self.user)
            if not await self.socket_slot_take():
                return
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
        self.me = person_of(self.user)
        self.typing = TypingThrottle(clock=self.clock)
        first = [history] if after_error is None else [after_error, history]
        self.outbound.release(*[await self.encode_json(frame) for frame in first])
        self.presence = RoomPresence(
            room=room,
            user_id=self.user.pk,
            user=self.me,
            channel_name=self.channel_name,
            send_json=self.send_json if self.wants_presence else None,
        )
        await self.presence.start()

    async def groups_join(self, room: Room) -> None:
        self.room_joined = room
        await self.group_join(room_group_name(room.pk))
        await self.personal_groups_join()
        if self.wants_presence:
            # Presence and typing chatter goes only to pages that show it.
            await self.group_join(room_presence_group_name(room.pk))
        # New messages come through the process's fan-out, not this socket's channel;
        # they wait in the outbound queue until the history frame has gone (open()).
        self.outbound.hold()
        self.fanout = room_fanout()
        await self.fanout.join(room_messages_group_name(room.pk), self)

    async def socket_cleanup(self) -> None:
        if self.presence is not None:
            await self.presence.stop()
        if self.fanout is not None:
            try:
                await self.fanout.leave(room_messages_group_name(self.room_joined.pk), self)
            except Exception:  # the layer is down; the rest of the clean-up still runs
                logger.warning("Could not leave the fan-out of room %s", self.room_joined.slug)

    # --- Frames from the page: parsed, then one handler per frame class, which
    # returns whether the frame was served (a served frame clears the strikes)

    async def frame_receive(self, text_data: str | None, bytes_data: bytes | None) -> None:
        if self.room is None:
            return
        try:
            frame = protocol.frame_parse(
                text_data=text_data,
                bytes_data=bytes_data,
                max_bytes=settings.PARLEY_MAX_FRAME_BYTES,
            )
        except protocol.ProtocolError as error:
            await self.refuse(error.as_frame())
            return
        if await self.frame_handlers[type(frame)](self, frame):
            self.strikes.clear()

    async def message_send_frame(self, frame: protocol.SendMessage) -> bool:
        stored = await self.message_write(
            lambda: message_store(
                room=self.room,
                author=self.user,
                body=frame.body,
                client_id=frame.client_id,
                sender_channel=self.channel_name,
                attachments=frame.attachments,
                reply_to_id=frame.reply_to,
            ),
            client_id=frame.client_id or None,
            unavailable=_("The message could not be stored right now; it will be sent again."),
        )
        if stored is None:
            return False
        text, _created = stored
        # The sender's acknowledgement: sent once the message is committed, and
        # for a resend too, so it never depends on the broadcast arriving.
        await self.send(text_data=text)
        return True

    async def message_edit_frame(self, frame: protocol.EditMessage) -> bool:
        return await self.message_change(message_edit_async, frame.id, body=frame.body)

    async def message_delete_frame(self, frame: protocol.DeleteMessage) -> bool:
        return await self.message_change(message_delete_async, frame.id, reason=frame.reason)

    async def message_change(
        self, change: Callable[..., Awaitable[Any]], message_id: int, **fields: str
    ) -> bool:
        """Edits, deletes, reactions and pins reach everyone, the sender too, as room events."""
        changed = await self.message_write(
            lambda: change(room=self.room, user=self.user, message_id=message_id, **fields),
            client_id=None,
            unavailable=_("Try again in a moment."),
            id=message_id,
        )
        return changed is not None

    async def reaction_add_frame(self, frame: protocol.AddReaction) -> bool:
        return await self.reaction_change(reaction_add_async, frame)

    async def reaction_remove_frame(self, frame: protocol.RemoveReaction) -> bool:
        return await self.reaction_change(reaction_remove_async, frame)

    async def reaction_change(
        self,
        change: Callable[..., Awaitable[bool]],
        frame: protocol.AddReaction | protocol.RemoveReaction,
    ) -> bool:
        """A reaction costs a frame token: cheap, but an event for every page of the room."""
        if not await self.frame_token_take():
            return False
        return await self.message_change(change, frame.id, emoji=frame.emoji)

    async def message_pin_frame(self, frame: protocol.PinMessage) -> bool:
        return await self.message_change(message_pin_async, frame.id)

    async def message_unpin_frame(self, frame: protocol.UnpinMessage) -> bool:
        return await self.message_change(message_unpin_async, frame.id)

    async def typing_frame(self, frame: protocol.Typing) -> bool:
        if not self.typing.due(active=frame.active):
            return True
        if not await self.frame_token_take():
            return False
        self.typing.sent(active=frame.active)
        try:
            await typing_announce(room_id=self.room.pk, user=self.me, active=frame.active)
        except Exception:  # the layer is down: a typing notice is not worth a crash
            logger.warning("Could not send a typing notice in room %s", self.room.slug)
        return True

    async def read_frame(self, frame: protocol.MarkRead) -> bool:
        if not await self.frame_token_take():
            return False
        try:
            await membership_read_mark_async(room=self.room, user=self.user, message_id=frame.id)
        except DatabaseError:
            logger.warning("Could not move the read marker in room %s", self.room.slug)
        return True

    frame_handlers: ClassVar[Mapping[type, FrameHandler]] = {
        protocol.SendMessage: message_send_frame,
        protocol.EditMessage: message_edit_frame,
        protocol.DeleteMessage: message_delete_frame,
        protocol.Typing: typing_frame,
        protocol.MarkRead: read_frame,
        protocol.AddReaction: reaction_add_frame,
        protocol.RemoveReaction: reaction_remove_frame,
        protocol.PinMessage: message_pin_frame,
        protocol.UnpinMessage: message_unpin_frame,
    }

    async def message_write(
        self,
        write: Callable[[], Awaitable[Result]],
        *,
        client_id: str | None,
        unavailable: str,
        **echo: Any,
    ) -> Result | None:
        """Run a message service; None once a refusal or an outage has been answered.

        A refusal counts as a strike; an outage does not (the page sends again).
        """
        try:
            return await write()
        except (NotAMember, Room.DoesNotExist):
            await self.refuse(
                events.error(
                    code=protocol.ErrorCode.FORBIDDEN,
                    detail=_("You are no longer a member of this room."),
                    client_id=client_id,
                )
            )
        except MessageRejected as rejected:
            extra = dict(echo)
            if rejected.retry_after is not None:
                extra["retry_after"] = rejected.retry_after
            await self.refuse(
                events.error(
                    code=rejected.code,
                    detail=rejected.detail,
                    client_id=client_id,
                    **extra,
                    **rejected.extra,
                )
            )
        except Exception:
            # Database or cache (rate limits) down: say so; the page keeps the message.
            logger.exception("Could not store or change a message in room %s", self.room.slug)
            await self.send_json(
                events.error(
                    code=protocol.ErrorCode.UNAVAILABLE,
                    detail=unavailable,
                    client_id=client_id,
                    **echo,
                )
            )
        return None

    async def frame_token_take(self) -> bool:
        """Take a token from the user's bucket shared by all their sockets; False if refused."""
        try:
            wait = await frame_token_take_async(user_id=self.user.pk)
        except Exception:  # the cache is down: the socket's own budget still holds
            logger.warning("Could not check the frame rate of user %s", self.user.pk)
            wait = 0.0
        if wait:
            await self.refuse(frames_too_fast(wait))
            return False
        return True

    # --- New messages, written by the room fan-out (realtime/fanout.py)

    def push_text(self, text: str) -> None:
        self.outbound.put(text)

    def layer_lost_push(self) -> None:
        self.close_now(protocol.CLOSE_TRY_AGAIN_LATER)

    # --- Group events: the table below; each handler only sends (or closes)

    async def member_updated_send(self, event: dict[str, Any]) -> None:
        is_me = event["user_id"] == self.user.pk
        await self.send_json(events.member_updated(member=event["member"], is_me=is_me))

    async def typing_send(self, event: dict[str, Any]) -> None:
        if event["user"]["username"] != self.user.username:
            await self.send_json(event)

    async def read_send(self, event: dict[str, Any]) -> None:
        if event["room"] == self.room.slug:
            await self.send_json(events.read(last_read_id=event["last_read_id"]))

    async def removal_close(self, event: dict[str, Any]) -> None:
        if event["user_id"] == self.user.pk:
            reason = event.get("reason", "left")
            detail = str(REMOVED_DETAIL.get(reason, ""))
            await self.send_json(events.removed(reason=reason, detail=detail))
            await self.close(code=protocol.CLOSE_NOT_A_MEMBER)

    # Presence and typing come only to pages that asked: only they join that group.
    event_handlers: ClassVar[Mapping[str, EventHandler]] = SocketConsumer.event_handlers | {
        "message.edited": SocketConsumer.forward,
        "message.deleted": SocketConsumer.forward,
        "reaction.added": SocketConsumer.forward,
        "reaction.removed": SocketConsumer.forward,
        "message.pinned": SocketConsumer.forward,
        "message.unpinned": SocketConsumer.forward,
        "room.updated": SocketConsumer.forward,
        "member.updated": member_updated_send,
        "membership.revoked": removal_close,
        "presence.changed": SocketConsumer.forward,
        "typing": typing_send,
        "room.read": read_send,
        "inbox.changed": SocketConsumer.ignore,  # for the sidebar's socket
    }
