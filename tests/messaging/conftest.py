from collections.abc import AsyncIterator, Callable

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from accounts.models import User
from config.asgi import application

ORIGIN = b"http://127.0.0.1"


def session_cookie(user: User) -> bytes:
    """A real session for ``user``, as the log-in view would have stored it."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode()


@pytest.fixture
async def open_socket() -> AsyncIterator[Callable]:
    """Open a websocket to a room through the project's whole ASGI stack."""
    communicators: list[WebsocketCommunicator] = []

    async def open_(
        user: User | None, slug: str = "lobby", *, query: str = "", origin: bytes = ORIGIN
    ) -> WebsocketCommunicator:
        headers = [(b"origin", origin), (b"host", b"127.0.0.1")]
        if user is not None:
            headers.append((b"cookie", await database_sync_to_async(session_cookie)(user)))
        path = f"/ws/rooms/{slug}/" + (f"?{query}" if query else "")
        communicator = WebsocketCommunicator(application, path, headers=headers)
        communicators.append(communicator)
        return communicator

    yield open_
    for communicator in communicators:
        await communicator.disconnect()


@pytest.fixture
def roomy_inbound(settings):
    """Room for a whole flood in the socket's inbound buffer, so a test sees the frame
    budget and the strikes at work rather than the buffer's own overflow close."""
    settings.PARLEY_INBOUND_MAX_FRAMES = 100_000
    settings.PARLEY_INBOUND_MAX_BYTES = 1 << 30
