"""Attacks on rooms and direct messages, performed against a real server over HTTP.

Each test does what an attacker would; a regression shows as the attack working.
"""

import re
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from uuid import uuid4

import httpx
import pytest
from django.utils.text import slugify

from chatclient.client import signup
from chatclient.server import LiveServer
from tests.support.live_server import PASSWORD

pytestmark = pytest.mark.live

ROOM_URL = re.compile(r"/rooms/([-\w]+)/")
# Rooms one person may create per hour on this server: room for every other test's few.
ROOM_CREATE_LIMIT = 5


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    server = LiveServer(
        tmp_path_factory.mktemp("rooms-security"),
        extra_env={"PARLEY_ROOM_CREATE_LIMIT": str(ROOM_CREATE_LIMIT)},
    ).start()
    yield server
    server.stop()


@dataclass
class Person:
    username: str
    client: httpx.Client


@pytest.fixture
def person(server) -> Iterator[Callable[[str], Person]]:
    """Signs up a new person (a fresh name each time), logged in."""
    people: list[Person] = []

    def make(name: str) -> Person:
        username = f"{name}-{uuid4().hex[:6]}"
        people.append(Person(username, signup(server.base_url, username, PASSWORD)))
        return people[-1]

    yield make
    for someone in people:
        someone.client.close()


def post(client: httpx.Client, path: str, data: dict[str, str] | None = None) -> httpx.Response:
    return client.post(
        path, data={**(data or {}), "csrfmiddlewaretoken": client.cookies["csrftoken"]}
    )


def create(client: httpx.Client, name: str, visibility: str = "public") -> httpx.Response:
    return post(client, "/rooms/new/", {"name": name, "description": "", "visibility": visibility})


def slug_of(response: httpx.Response) -> str:
    assert response.status_code == 302, response.text[:2000]
    match = ROOM_URL.fullmatch(response.headers["location"])
    assert match is not None, response.headers["location"]
    return match.group(1)


def user_id(server: LiveServer, username: str) -> int:
    """What an attacker guesses or learns: ids are handed out in sign-up order."""
    database = sqlite3.connect(f"file:{server.tmp_dir / 'db.sqlite3'}?mode=ro", uri=True)
    try:
        (pk,) = database.execute(
            "SELECT id FROM accounts_user WHERE username = ?", [username]
        ).fetchone()
    finally:
        database.close()
    return pk


def squat_name(server: LiveServer, first: Person, second: Person) -> str:
    """The slug conversations of these two people used to have: ``dm-<low id>-<high id>``."""
    low, high = sorted([user_id(server, first.username), user_id(server, second.username)])
    return f"dm-{low}-{high}"


# --- B1: squatting a direct conversation's slug ------------------------------------------


@pytest.mark.parametrize("visibility", ["public", "private"])
def test_a_room_named_after_a_pair_does_not_capture_or_block_their_conversation(
    server, person, visibility
):
    ada, grace, mallory = person("ada"), person("grace"), person("mallory")
    squat = create(mallory.client, squat_name(server, ada, grace), visibility)
    squat_slug = slug_of(squat)

    started = post(ada.client, f"/dm/{grace.username}/")
    conversation = slug_of(started)
    page = ada.client.get(f"/rooms/{conversation}/")
    from_grace = grace.client.get(f"/dm/{ada.username}/")

    assert conversation != squat_slug
    assert not squat_slug.startswith("dm-")
    assert page.status_code == 200
    assert "Join room" not in page.text
    assert from_grace.headers["location"] == f"/rooms/{conversation}/"
    assert mallory.client.get(f"/rooms/{conversation}/").status_code == 404
    members = mallory.client.get(f"/rooms/{squat_slug}/members/")
    assert ada.username not in members.text
    assert grace.username not in members.text


# --- B13: a new room's slug must not reveal hidden rooms ---------------------------------

SLUG_SHAPE = r"{base}-[a-z0-9]{{6}}"


def test_creating_a_room_does_not_reveal_a_private_room_or_a_conversation_by_its_slug(
    server, person
):
    ada, grace, mallory = person("ada"), person("grace"), person("mallory")
    slug_of(create(ada.client, "Moderators", "private"))
    slug_of(post(ada.client, f"/dm/{grace.username}/"))
    unused = f"Nobody took this {uuid4().hex[:6]}"

    beside_private = slug_of(create(mallory.client, "Moderators"))
    beside_conversation = slug_of(create(mallory.client, squat_name(server, ada, grace)))
    beside_nothing = slug_of(create(mallory.client, unused))

    assert re.fullmatch(SLUG_SHAPE.format(base="moderators"), beside_private)
    assert re.fullmatch(
        SLUG_SHAPE.format(base=f"room-{squat_name(server, ada, grace)}"), beside_conversation
    )
    assert re.fullmatch(SLUG_SHAPE.format(base=slugify(unused)), beside_nothing)


# --- B14: creating rooms without end ------------------------------------------------------


def test_a_burst_of_room_creations_stops_at_the_limit_with_a_form_error(server, person):
    mallory = person("mallory")
    names = [f"Spam {n} {uuid4().hex[:6]}" for n in range(4 * ROOM_CREATE_LIMIT)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda name: create(mallory.client, name), names))

    created = [answer for answer in answers if answer.status_code == 302]
    refused = [answer for answer in answers if answer.status_code != 302]
    assert len(created) == ROOM_CREATE_LIMIT
    assert {answer.status_code for answer in refused} == {200}
    assert all("You can create another in" in answer.text for answer in refused)
    rooms = mallory.client.get("/rooms/").text
    assert sum(name in rooms for name in names) == ROOM_CREATE_LIMIT
