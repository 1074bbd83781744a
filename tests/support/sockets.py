"""Opening websockets through the project's whole ASGI stack, as a signed-in browser would."""

from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

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


async def joined(communicator) -> dict:
    """Connect a member's socket and return the history frame it is greeted with."""
    connected, _ = await communicator.connect()
    assert connected
    frame = await communicator.receive_json_from()
    assert frame["type"] == "history"
    return frame


async def send(communicator, body: str, client_id: str | None = "c-1") -> None:
    """Send a ``message.send`` frame, with ``client_id`` unless it is None."""
    frame = {"type": "message.send", "body": body}
    if client_id is not None:
        frame["client_id"] = client_id
    await communicator.send_json_to(frame)


async def send_acknowledged(communicator, count: int, prefix: str = "m") -> None:
    """Post ``count`` messages (``<prefix> <n>`` as ``<prefix>-<n>``), each acknowledged
    with its ``message.new`` before the next goes: the budget a limit test spends first."""
    for n in range(count):
        await send(communicator, f"{prefix} {n}", client_id=f"{prefix}-{n}")
        assert (await communicator.receive_json_from())["type"] == "message.new"


async def close_code(communicator) -> int:
    """The code of the close that comes next (any other output fails the test)."""
    output = await communicator.receive_output()
    assert output["type"] == "websocket.close"
    return output["code"]


def logged_in_client(user: User) -> tuple[Client, bytes]:
    """A web client logged in as ``user``, and the Cookie header of its session."""
    client = Client()
    client.force_login(user)
    return client, f"sessionid={client.cookies['sessionid'].value}".encode()


async def socket_for_session(cookie: bytes, slug: str = "lobby") -> WebsocketCommunicator:
    """A room socket opened with the session ``cookie``, greeted with its history."""
    communicator = WebsocketCommunicator(
        application,
        f"/ws/rooms/{slug}/",
        headers=[(b"origin", ORIGIN), (b"host", b"127.0.0.1"), (b"cookie", cookie)],
    )
    await joined(communicator)
    return communicator
