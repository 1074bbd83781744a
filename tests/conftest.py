import time
from collections.abc import AsyncIterator, Callable, Iterator

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from accounts.models import User
from chatclient.server import LiveServer
from config.asgi import application
from rooms.models import Membership, Room
from tests.support.factories import MembershipFactory, RoomFactory, UserFactory
from tests.support.live_server import RoomOfTwo, room_with_two_members
from tests.support.sockets import ORIGIN, session_cookie


@pytest.fixture(autouse=True)
def _in_memory_channel_layer(settings):
    """Each test gets a fresh in-process channel layer, whatever the environment says."""
    # The embedded default's layer, with Channels' default capacity (100) as before.
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "realtime.layers.LocalChannelLayer"}}
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Throttle state (rate limits, socket counts, allauth's) never leaks between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Real hashing costs ~0.3 s per user; tests care about behaviour, not strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _events_round_trip(settings):
    """An event Redis could not carry fails in every test, where the code made it."""
    settings.PARLEY_EVENTS_ROUND_TRIP = True


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded files (avatars, attachments) land in the test's own folder, never the
    checkout's media/, through the file system storage whatever the environment says."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    return settings.MEDIA_ROOT


@pytest.fixture
def wall_clock() -> Iterator[time_machine.Traveller]:
    """The wall clock (``time.time()``, ``timezone.now()``) stopped where it is, moved only by
    ``wall_clock.shift(seconds)``: presence, the rate limits and slow mode read it, so a test
    moves past an expiry instead of sleeping until it. ``time.monotonic()`` and asyncio's
    timers keep real time; the socket's own limits read ``SocketConsumer.clock``, which a
    test replaces with ``tests.support.clock.ManualClock``."""
    with time_machine.travel(time.time(), tick=False) as traveller:
        yield traveller


@pytest.fixture(scope="module")
def daphne_server(tmp_path_factory) -> Iterator[LiveServer]:
    """Daphne on SQLite and the in-memory channel layer: one process, as in development."""
    server = LiveServer(tmp_path_factory.mktemp("live")).start()
    yield server
    server.stop()


@pytest.fixture
def room_of_two() -> Iterator[Callable[[LiveServer], RoomOfTwo]]:
    """Makes a room on a given server: one user signs up and creates it, another joins.
    Their HTTP clients are closed after the test."""
    rooms: list[RoomOfTwo] = []

    def make(server: LiveServer) -> RoomOfTwo:
        rooms.append(room_with_two_members(server))
        return rooms[-1]

    yield make
    for room in rooms:
        room.close()


@pytest.fixture
def user(db) -> User:
    return UserFactory(username="ada", display_name="Ada Lovelace")


@pytest.fixture
def other_user(db) -> User:
    return UserFactory(username="grace", display_name="Grace Hopper")


@pytest.fixture
def outsider(db) -> User:
    return UserFactory(username="mallory", display_name="Mallory")


@pytest.fixture
def room(db) -> Room:
    return RoomFactory(name="Lobby", slug="lobby")


@pytest.fixture
def member(user, room) -> Membership:
    return MembershipFactory(user=user, room=room)


@pytest.fixture
def other_member(other_user, room) -> Membership:
    return MembershipFactory(user=other_user, room=room)


@pytest.fixture
def auth_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def owner(room) -> Membership:
    return MembershipFactory(
        user=UserFactory(username="olivia", display_name="Olivia Owner"),
        room=room,
        role=Membership.Role.OWNER,
    )


@pytest.fixture
def moderator(room) -> Membership:
    return MembershipFactory(
        user=UserFactory(username="mona", display_name="Mona Moderator"),
        room=room,
        role=Membership.Role.MODERATOR,
    )


@pytest.fixture
def staff_user(db) -> User:
    """Site staff who belong to no room: they act as owners everywhere."""
    return UserFactory(username="sam", display_name="Sam Staff", is_staff=True)


@pytest.fixture
def private_room(db) -> Room:
    return RoomFactory(name="Hideout", slug="hideout", visibility=Room.Visibility.PRIVATE)


@pytest.fixture
def client_for(db) -> Callable[[User], Client]:
    """A signed-in web client for any user."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


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
