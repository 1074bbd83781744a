"""One socket's presence in its room: announced on arrival and departure, re-synced on each beat."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from django.conf import settings

from messaging.consumers.common import presence_enter_async, presence_leave_async, presence_snapshot
from realtime import events
from realtime.broadcast import group_send
from realtime.groups import room_presence_group_name
from rooms.models import Room

logger = logging.getLogger(__name__)


class RoomPresence:
    """Started once the socket is open, stopped by its clean-up.

    Every socket counts as present; only pages that asked (``?presence=1``)
    are sent who is online.
    """

    def __init__(
        self,
        *,
        room: Room,
        user_id: int,
        user: events.Person,
        channel_name: str,
        send_json: Callable[[Any], Awaitable[None]] | None,
    ) -> None:
        """``send_json`` writes to the socket; None for a socket that is not sent who is online."""
        self.room = room
        self.user = user
        self.user_id = user_id
        self.channel_name = channel_name
        self.send_json = send_json
        self.online_sent: tuple[str, ...] | None = None
        self.heartbeat: asyncio.Task | None = None

    async def start(self) -> None:
        try:
            if await self.enter():
                await self.announce(online=True)
            await self.sync()
        except Exception:
            logger.warning("Presence unavailable in room %s", self.room.slug, exc_info=True)
        self.heartbeat = asyncio.create_task(self.beat())

    async def stop(self) -> None:
        if self.heartbeat is None:
            return
        self.heartbeat.cancel()
        try:
            went_offline = await presence_leave_async(
                room_id=self.room.pk, user_id=self.user_id, channel=self.channel_name
            )
            if went_offline:
                await self.announce(online=False)
        except Exception:
            logger.warning("Could not record leaving room %s", self.room.slug)

    async def enter(self) -> bool:
        return await presence_enter_async(
            room_id=self.room.pk, user_id=self.user_id, channel=self.channel_name
        )

    async def beat(self) -> None:
        while True:
            await asyncio.sleep(settings.PARLEY_PRESENCE_HEARTBEAT)
            try:
                await self.enter()
                await self.sync()
            except Exception:
                logger.warning("Presence heartbeat failed in room %s", self.room.slug)

    async def sync(self) -> None:
        """Send who is online, when it differs from what this page was last told."""
        if self.send_json is None:
            return
        online = await presence_snapshot(room=self.room)
        names = tuple(user["username"] for user in online)
        if names != self.online_sent:
            self.online_sent = names
            await self.send_json(events.presence(online=online))

    async def announce(self, *, online: bool) -> None:
        await group_send(
            room_presence_group_name(self.room.pk),
            events.presence_changed(user=self.user, online=online),
        )
