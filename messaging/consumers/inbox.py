"""The sidebar's socket: unread counts and mentions across all my rooms, live."""

import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from accounts.events import session_group_name, user_group_name
from messaging import protocol
from messaging.consumers.common import unread_counts_async
from messaging.throttle import FrameBudget
from rooms.events import room_activity_group_name

logger = logging.getLogger(__name__)


class InboxConsumer(AsyncJsonWebsocketConsumer):
    """Listens to the activity (not the full traffic) of every room the user is in."""

    room_groups: dict[str, str]
    frame_budget: FrameBudget | None = None
    flooding = False

    async def connect(self) -> None:
        self.user = self.scope["user"]
        self.room_groups = {}
        await self.accept()
        if not self.user.is_authenticated:
            await self.close(code=protocol.CLOSE_UNAUTHENTICATED)
            return
        try:
            await self.channel_layer.group_add(user_group_name(self.user.pk), self.channel_name)
            session_key = getattr(self.scope.get("session"), "session_key", None)
            if session_key:
                await self.channel_layer.group_add(
                    session_group_name(session_key), self.channel_name
                )
            await self.rooms_sync()
        except Exception:
            logger.exception("Could not open the inbox of user %s", self.user.pk)
            await self.close(code=protocol.CLOSE_TRY_AGAIN_LATER)

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None:
        # A frame for a socket the server already closed (1012 on a graceful stop)
        # raises OSError; dropping it lets the queued disconnect() still run.
        try:
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except OSError:
            logger.info("Dropped a frame for a closed socket")

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
        # Every frame is answered, so frames past the socket's budget are not, and
        # a client that keeps sending them is closed (as on a room's socket).
        if self.flooding:
            return
        if self.frame_budget is None:
            self.frame_budget = FrameBudget(
                burst=settings.PARLEY_SOCKET_FRAME_BURST, rate=settings.PARLEY_SOCKET_FRAME_RATE
            )
        if self.frame_budget.take():
            if self.frame_budget.overdrawn > settings.PARLEY_RATE_LIMIT_STRIKES:
                self.flooding = True
                await self.close(code=protocol.CLOSE_FLOODING)
            return
        await self.send_json(
            protocol.error_frame(
                code=protocol.ErrorCode.INVALID, detail="This socket only sends; it reads nothing."
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
        """This process lost Redis (config/layers.py): the page reconnects and catches up."""
        await self.close(code=protocol.CLOSE_TRY_AGAIN_LATER)
