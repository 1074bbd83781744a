"""The sidebar's socket: unread counts and mentions across all my rooms, live."""

import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from messaging import protocol
from messaging.consumers.base import EventHandler, SocketConsumer
from messaging.consumers.common import unread_counts_async
from realtime import events
from realtime.groups import room_activity_group_name

logger = logging.getLogger(__name__)


class InboxConsumer(SocketConsumer):
    """Listens to the activity (not the full traffic) of every room the user is in."""

    room_groups: dict[str, str]

    async def open(self) -> None:
        self.room_groups = {}
        try:
            # The sidebar counts against the same per-user cap as the room sockets.
            if not await self.socket_slot_take():
                return
            await self.personal_groups_join()
            await self.rooms_sync()
            await self.transport_start()
        except Exception:
            logger.exception("Could not open the inbox of user %s", self.user.pk)
            await self.close(code=protocol.CLOSE_TRY_AGAIN_LATER)

    async def rooms_sync(self, event: dict[str, Any] | None = None) -> None:
        """Follow exactly the rooms the user is in now, and send their counts."""
        rooms = await unread_counts_async(user=self.user)
        wanted = {room["slug"]: room_activity_group_name(room["id"]) for room in rooms}
        for slug, group in wanted.items():
            if slug not in self.room_groups:
                await self.group_join(group)
        for slug, group in self.room_groups.items():
            if slug not in wanted:
                await self.group_leave(group)
        self.room_groups = wanted
        fields = ("slug", "name", "kind", "unread", "mentions")
        snapshot = [{key: room[key] for key in fields} for room in rooms]
        await self.send_json(events.unread_snapshot(rooms=snapshot))

    async def frame_receive(self, text_data: str | None, bytes_data: bytes | None) -> None:
        await self.refuse(
            events.error(
                code=protocol.ErrorCode.INVALID,
                detail=_("This socket only sends; it reads nothing but pong."),
            )
        )

    # --- Group events

    async def unread_send(self, event: dict[str, Any]) -> None:
        if event["author_id"] != self.user.pk:
            await self.send_json(
                events.unread(
                    room=event["room"],
                    id=event["id"],
                    mention=self.user.pk in event["mention_ids"],
                    author=event["author"],
                    excerpt=event["excerpt"],
                )
            )

    async def read_send(self, event: dict[str, Any]) -> None:
        await self.send_json(events.read(room=event["room"], last_read_id=event["last_read_id"]))

    event_handlers: ClassVar[Mapping[str, EventHandler]] = SocketConsumer.event_handlers | {
        "room.activity": unread_send,
        "room.read": read_send,
        "inbox.changed": rooms_sync,
    }
