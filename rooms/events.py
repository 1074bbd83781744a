"""Live events for a room's open sockets, sent only once the data is committed."""

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from rooms.models import Room

logger = logging.getLogger(__name__)


def room_group_name(room: Room) -> str:
    """The channel-layer group that every open socket of ``room`` joins."""
    return f"room-{room.pk}"


def room_event_send_on_commit(*, room: Room, event: dict[str, Any]) -> None:
    """Send ``event`` to the room's group after the current transaction commits.

    A rolled-back change is therefore never announced. Channel layers deliver
    group messages at most once, so a failure here is logged, not raised:
    the data is already stored and clients catch up by message id.
    """
    group = room_group_name(room)

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        async_to_sync(layer.group_send)(group, event)

    transaction.on_commit(send, robust=True)
