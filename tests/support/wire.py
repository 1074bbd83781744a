"""Frames over a real websocket (the ``websockets`` client), for the tests of live servers."""

import asyncio
import json
from typing import Any
from uuid import uuid4

from websockets.asyncio.client import ClientConnection

FRAME_TIMEOUT = 5.0


async def next_frame(socket: ClientConnection, frame_type: str) -> dict[str, Any]:
    """The next frame, which must be of ``frame_type``, within ``FRAME_TIMEOUT``."""
    async with asyncio.timeout(FRAME_TIMEOUT):
        frame = json.loads(await socket.recv())
    assert frame["type"] == frame_type, frame
    return frame


async def send_message(socket: ClientConnection, body: str) -> str:
    """Send ``body`` with a fresh client_id, which comes back."""
    client_id = uuid4().hex
    await socket.send(json.dumps({"type": "message.send", "body": body, "client_id": client_id}))
    return client_id
