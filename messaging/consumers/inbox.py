"""The sidebar's socket: unread counts and mentions across all my rooms, live."""

import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from messaging import protocol
from messaging.consumers.common import (
    unread_counts_async,
)
from messaging.consumers.transport import SocketTransport
from realtime.groups import room_activity_group_name, session_group_name, user_group_name

logger = logging.getLogger(__name__)


class InboxConsumer(SocketTransport, AsyncJsonWebsocketConsumer):
    """Listens to the activity (not the full traffic) of every room the user is in."""

    room_groups: dict[str, str]

    async def connect(self) -> None:
        self.user = self.scope["user"]
        self.room_groups = {}
        await self.accept()
        if not self.user.is_authenticated:
            await self.close(code=protocol.CLOSE_UNAUTHENTICATED)
            return
        try:
            # The sidebar counts against the same per-user cap as the room sockets.
            if not await self.socket_slot_take():
                return
            await self.channel_layer.group_add(user_group_name(self.user.pk), self.channel_name)
            session_key = getattr(self.scope.get("session"), "session_key", None)
            if session_key:
                await self.channel_layer.group_add(
                    session_group_name(session_key), self.channel_name
                )
            await self.rooms_sync()
            await self.transport_start()
        except Exception:
            logger.exception("Could not open the inbox of user %s", self.user.pk)
            await self.close(code=protocol.CLOSE_TRY_AGAIN_LATER)
            return

    async def rooms_sync(self) -> None:
        """Follow exactly the rooms the user is in now, and send their counts."""
        rooms = await unread_counts_async(user=self.user)
        wanted = {room["slug"]: room_activity_group_name(room["id"]) for room in rooms}
        for slug, group in wanted.items():
            if slug not in self.room_groups:
                await self.channel_layer.group_add(group, self.channel_name)
        for slug, group in self.room_groups.items():
            if slug not in wanted:
                await self.channel_layer.group_discard(group, self.channel_name)
        self.room_groups = wanted
        await self.send_json(
            {
                "type": "unread.snapshot",
                "rooms": [
                    {key: room[key] for key in ("slug", "name", "kind", "unread", "mentions")}
                    for room in rooms
                ],
            }
        )

    async def disconnect(self, code: int) -> None:
        await self.socket_cleanup_once()

    async def socket_cleanup(self) -> None:
        groups = [*self.room_groups.values()]
        if self.user.is_authenticated:
            groups.append(user_group_name(self.user.pk))
            session_key = getattr(self.scope.get("session"), "session_key", None)
            if session_key:
                groups.append(session_group_name(session_key))
        for group in groups:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                logger.warning("Could not leave group %s", group)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing or not await self.frame_budget_take() or protocol.is_pong(text_data):
            return
        await self.refuse(
            protocol.error_frame(
                code=protocol.ErrorCode.INVALID,
                detail=_("This socket only sends; it reads nothing but pong."),
            )
        )

    # --- Group events

    async def room_activity(self, event: dict[str, Any]) -> None:
        if event["author_id"] == self.user.pk:
            return
        await self.send_json(
            {
                "type": "unread",
                "room": event["room"],
                "id": event["id"],
                "mention": self.user.pk in event["mention_ids"],
                "author": event["author"],
                "excerpt": event["excerpt"],
            }
        )

    async def room_read(self, event: dict[str, Any]) -> None:
        await self.send_json(
            {"type": "read", "room": event["room"], "last_read_id": event["last_read_id"]}
        )

    async def inbox_changed(self, event: dict[str, Any]) -> None:
        await self.rooms_sync()

    async def session_ended(self, event: dict[str, Any]) -> None:
        await self.close(code=protocol.CLOSE_UNAUTHENTICATED)

    async def layer_lost(self, event: dict[str, Any]) -> None:
        """This process lost Redis (realtime/layers.py): the page reconnects and catches up."""
        await self.close(code=protocol.CLOSE_TRY_AGAIN_LATER)
