"""Who has the room open, and who is typing: the room socket with ``?presence=1``.

A page asks for presence; other clients (bots, load tests) are counted online
but hear none of it. Presence lives in the cache with an expiry per socket, so
a socket whose worker died drops out after three missed heartbeats.
"""

import time
import uuid

import pytest
import redis
from channels.db import database_sync_to_async

from messaging import typing_notices
from messaging.consumers.base import SocketConsumer
from messaging.presence import presence_enter, presence_leave, presence_online, presence_ttl
from tests.support.avatars import with_avatar
from tests.support.clock import ManualClock
from tests.support.factories import MembershipFactory, UserFactory
from tests.support.sockets import close_code, joined

pytestmark = pytest.mark.django_db(transaction=True)

REDIS_CACHE_URL = "redis://127.0.0.1:6379/12"
ADA = {"username": "ada", "display_name": "Ada Lovelace", "avatar_url": None}


async def settled(communicator, *, quiet: float = 0.2) -> list[dict]:
    """Every frame the socket receives until it has been quiet for ``quiet`` seconds."""
    frames = []
    while not await communicator.receive_nothing(timeout=quiet):
        frames.append(await communicator.receive_json_from())
    return frames


async def next_of(communicator, frame_type: str, *, within: float = 2) -> dict:
    """The next frame of ``frame_type``; frames of other types before it are skipped."""
    deadline = time.monotonic() + within
    while True:
        frame = await communicator.receive_json_from(timeout=max(0.01, deadline - time.monotonic()))
        if frame["type"] == frame_type:
            return frame


async def page(open_socket, user, slug: str = "lobby"):
    """A room page's socket: history, then the frames that greet it, settled."""
    communicator = await open_socket(user, slug, query="presence=1")
    await joined(communicator)
    return communicator, await settled(communicator)


def of_type(frames: list[dict], frame_type: str) -> list[dict]:
    return [frame for frame in frames if frame["type"] == frame_type]


def online_names(frame: dict) -> list[str]:
    return [user["username"] for user in frame["online"]]


# --- Presence ----------------------------------------------------------------------


async def test_a_page_is_told_who_is_online_right_after_the_history(
    open_socket, member, other_member
):
    """The greeting is history, then a presence snapshot that includes the reader."""
    communicator = await open_socket(member.user, query="presence=1")
    await joined(communicator)

    snapshot = await communicator.receive_json_from()

    assert snapshot == {"type": "presence", "online": [ADA]}


async def test_presence_names_the_avatar_of_a_member_who_uploaded_one(
    open_socket, member, other_member, media_root
):
    await database_sync_to_async(with_avatar)(member.user)
    communicator = await open_socket(member.user, query="presence=1")
    await joined(communicator)

    snapshot = await communicator.receive_json_from()

    url = f"/accounts/avatars/{member.user.pk}/{member.user.avatar_version}.webp"
    assert snapshot == {"type": "presence", "online": [{**ADA, "avatar_url": url}]}


async def test_a_member_opening_the_room_appears_online_to_the_others(
    open_socket, member, other_member
):
    """Grace is told Ada came online; Ada's own snapshot lists both, by username."""
    grace, _ = await page(open_socket, other_member.user)

    _, greeting = await page(open_socket, member.user)

    assert of_type(await settled(grace), "presence.changed") == [
        {"type": "presence.changed", "user": ADA, "online": True}
    ]
    assert [online_names(frame) for frame in of_type(greeting, "presence")] == [["ada", "grace"]]


async def test_closing_the_page_takes_the_member_offline_for_the_others(
    open_socket, member, other_member
):
    grace, _ = await page(open_socket, other_member.user)
    ada, _ = await page(open_socket, member.user)
    await settled(grace)

    await ada.disconnect()

    assert of_type(await settled(grace), "presence.changed") == [
        {"type": "presence.changed", "user": ADA, "online": False}
    ]
    assert await database_sync_to_async(presence_online)(
        room_id=member.room_id, user_ids=[member.user_id, other_member.user_id]
    ) == {other_member.user_id}


async def test_two_tabs_count_once_and_go_offline_only_when_the_last_one_closes(
    open_socket, member, other_member
):
    """A second tab announces nothing, closing one of two announces nothing, the last does."""
    grace, _ = await page(open_socket, other_member.user)
    first_tab, _ = await page(open_socket, member.user)
    assert len(of_type(await settled(grace), "presence.changed")) == 1

    second_tab, greeting = await page(open_socket, member.user)
    assert of_type(await settled(grace), "presence.changed") == []
    assert [online_names(frame) for frame in of_type(greeting, "presence")] == [["ada", "grace"]]

    await first_tab.disconnect()
    assert of_type(await settled(grace), "presence.changed") == []
    assert of_type(await settled(second_tab), "presence.changed") == []

    await second_tab.disconnect()
    assert of_type(await settled(grace), "presence.changed") == [
        {"type": "presence.changed", "user": ADA, "online": False}
    ]


async def test_a_socket_without_presence_is_counted_online_but_hears_no_chatter(
    open_socket, member, other_member
):
    """A bot's socket appears in the pages' list, and is sent no presence or typing frames."""
    bot = await open_socket(member.user)
    await joined(bot)

    grace, greeting = await page(open_socket, other_member.user)
    await grace.send_json_to({"type": "typing", "active": True})

    assert [online_names(frame) for frame in of_type(greeting, "presence")] == [["ada", "grace"]]
    assert await settled(bot) == []


async def test_non_members_and_the_anonymous_never_appear_online(open_socket, member, outsider):
    """Refused sockets (4401, 4403) leave no presence entry and announce nothing."""
    ada, _ = await page(open_socket, member.user)
    anonymous = await open_socket(None, query="presence=1")
    stranger = await open_socket(outsider, query="presence=1")
    await anonymous.connect()
    await stranger.connect()

    assert await close_code(anonymous) == 4401
    assert await close_code(stranger) == 4403
    assert await settled(ada) == []
    assert (
        await database_sync_to_async(presence_online)(
            room_id=member.room_id, user_ids=[outsider.pk]
        )
        == set()
    )


async def test_presence_stays_within_its_room(open_socket, member, other_user):
    """Grace opening another room is no news in the lobby."""
    await database_sync_to_async(MembershipFactory)(
        user=other_user, room__slug="elsewhere", room__name="Elsewhere"
    )
    ada, _ = await page(open_socket, member.user)

    await page(open_socket, other_user, "elsewhere")

    assert await settled(ada) == []


async def test_an_open_socket_keeps_itself_online_with_its_heartbeat(
    open_socket, settings, member, other_member
):
    """Well past one expiry time, a socket that is still open is still listed."""
    settings.PARLEY_PRESENCE_HEARTBEAT = 0.05
    grace, _ = await page(open_socket, other_member.user)
    await page(open_socket, member.user)

    await settled(grace, quiet=4 * presence_ttl())

    assert await database_sync_to_async(presence_online)(
        room_id=member.room_id, user_ids=[member.user_id, other_member.user_id]
    ) == {member.user_id, other_member.user_id}


async def test_a_socket_of_a_dead_worker_drops_out_after_three_missed_heartbeats(
    open_socket, settings, member, other_member, wall_clock
):
    """An entry nobody refreshes (its process was killed) expires; pages are re-synced."""
    # Heartbeats run every 50 ms of real time; the entries expire only as the wall clock moves.
    settings.PARLEY_PRESENCE_HEARTBEAT = beat = 0.05
    # Written as Ada's socket on a worker that then died without saying goodbye.
    await database_sync_to_async(presence_enter)(
        room_id=member.room_id, user_id=member.user_id, channel="specific.dead!ada"
    )

    grace, greeting = await page(open_socket, other_member.user)
    assert [online_names(frame) for frame in of_type(greeting, "presence")] == [["ada", "grace"]]
    wall_clock.shift(3 * beat - 0.01)
    # Several heartbeats later, and just short of three beats on the clock: still listed.
    assert of_type(await settled(grace, quiet=4 * beat), "presence") == []

    wall_clock.shift(0.02)  # now just past three beats
    resync = await next_of(grace, "presence")

    assert online_names(resync) == ["grace"]


# --- The presence store itself, in the process and in Redis --------------------------


@pytest.fixture(params=["locmem", pytest.param("redis", marks=pytest.mark.redis)])
def presence_cache(request, settings):
    """The cache presence is kept in: the process's memory, or Redis as with REDIS_URL."""
    if request.param == "locmem":
        yield
        return
    original = settings.CACHES
    prefix = f"presence-test-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": prefix,
        }
    }
    yield
    store = redis.Redis.from_url(REDIS_CACHE_URL)
    for key in store.scan_iter(match=f"{prefix}:*"):
        store.delete(key)
    store.close()
    # Back to the process cache before the suite's own cache.clear(), which would flush Redis.
    settings.CACHES = original


def test_presence_counts_a_person_once_whatever_their_number_of_sockets(presence_cache):
    """Entering is True only for the first socket, leaving only for the last."""
    where = {"room_id": 1, "user_id": 7}

    assert presence_enter(**where, channel="tab-1") is True
    assert presence_enter(**where, channel="tab-2") is False
    assert presence_enter(**where, channel="tab-1") is False  # a heartbeat
    assert presence_online(room_id=1, user_ids=[7, 8]) == {7}
    assert presence_leave(**where, channel="tab-1") is False
    assert presence_online(room_id=1, user_ids=[7]) == {7}
    assert presence_leave(**where, channel="tab-2") is True
    assert presence_online(room_id=1, user_ids=[7]) == set()
    assert presence_online(room_id=2, user_ids=[7]) == set()


def test_presence_of_a_socket_nobody_refreshes_expires(presence_cache, settings, wall_clock):
    """After three heartbeats without a refresh the socket no longer counts, in any store."""
    beat = settings.PARLEY_PRESENCE_HEARTBEAT
    presence_enter(room_id=1, user_id=7, channel="gone")
    presence_enter(room_id=1, user_id=8, channel="alive")

    for _ in range(4):
        wall_clock.shift(beat)
        presence_enter(room_id=1, user_id=8, channel="alive")

    assert presence_online(room_id=1, user_ids=[7, 8]) == {8}
    # The user whose only socket expired comes back online as new.
    assert presence_enter(room_id=1, user_id=7, channel="again") is True


# --- Typing --------------------------------------------------------------------------


async def test_typing_is_shown_to_the_others_and_not_echoed_to_the_typist(
    open_socket, member, other_member
):
    ada, _ = await page(open_socket, member.user)
    grace, _ = await page(open_socket, other_member.user)
    await settled(ada)

    await ada.send_json_to({"type": "typing", "active": True})

    assert await settled(grace) == [{"type": "typing", "user": ADA, "active": True}]
    assert await settled(ada) == []


async def test_typing_also_stays_within_its_room(open_socket, member, other_user):
    await database_sync_to_async(MembershipFactory)(
        user=member.user, room__slug="elsewhere", room__name="Elsewhere"
    )
    await database_sync_to_async(MembershipFactory)(user=other_user, room=member.room)
    grace, _ = await page(open_socket, other_user)
    ada_elsewhere, _ = await page(open_socket, member.user, "elsewhere")

    await ada_elsewhere.send_json_to({"type": "typing", "active": True})

    assert await settled(grace) == []


async def test_typing_notices_are_sent_at_most_once_per_interval(open_socket, member, other_member):
    """Keystrokes in quick succession reach the others as one notice."""
    ada, _ = await page(open_socket, member.user)
    grace, _ = await page(open_socket, other_member.user)
    await settled(ada)

    for _ in range(5):
        await ada.send_json_to({"type": "typing", "active": True})

    assert len(of_type(await settled(grace), "typing")) == 1
    assert typing_notices.TYPING_MIN_INTERVAL >= 2


async def test_typing_is_announced_again_once_the_interval_has_passed(
    open_socket, member, other_member, monkeypatch
):
    clock = ManualClock()
    monkeypatch.setattr(SocketConsumer, "clock", staticmethod(clock))
    ada, _ = await page(open_socket, member.user)
    grace, _ = await page(open_socket, other_member.user)

    await ada.send_json_to({"type": "typing", "active": True})
    await ada.send_json_to({"type": "typing", "active": True})
    first = of_type(await settled(grace), "typing")
    clock.advance(typing_notices.TYPING_MIN_INTERVAL)
    await ada.send_json_to({"type": "typing", "active": True})
    second = of_type(await settled(grace), "typing")

    assert (len(first), len(second)) == (1, 1)


async def test_stopping_typing_is_sent_at_once_even_within_the_interval(
    open_socket, member, other_member
):
    """``active: false`` is never throttled, so the notice is cleared right away."""
    ada, _ = await page(open_socket, member.user)
    grace, _ = await page(open_socket, other_member.user)

    await ada.send_json_to({"type": "typing", "active": True})
    await ada.send_json_to({"type": "typing", "active": False})

    assert of_type(await settled(grace), "typing") == [
        {"type": "typing", "user": ADA, "active": True},
        {"type": "typing", "user": ADA, "active": False},
    ]


async def test_typing_with_a_non_boolean_active_is_an_invalid_frame(open_socket, member):
    ada, _ = await page(open_socket, member.user)

    await ada.send_json_to({"type": "typing", "active": "yes"})

    error = await ada.receive_json_from()
    assert (error["type"], error["code"]) == ("error", "invalid")


async def test_typing_names_the_typist_by_display_name_or_username(open_socket, member):
    """Without a display name, the username is what the others see."""
    plain = await database_sync_to_async(UserFactory)(username="plain", display_name="")
    await database_sync_to_async(MembershipFactory)(user=plain, room=member.room)
    ada, _ = await page(open_socket, member.user)
    typist, _ = await page(open_socket, plain)
    await settled(ada)

    await typist.send_json_to({"type": "typing", "active": True})

    assert await settled(ada) == [
        {
            "type": "typing",
            "user": {"username": "plain", "display_name": "plain", "avatar_url": None},
            "active": True,
        }
    ]
