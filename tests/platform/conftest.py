"""Fixtures of the scale-out tests: the backends serve starts on, and its topology."""

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest

from chatclient.client import cookie_header, create_room, join_room, signup
from chatclient.server import database_drop, redis_flush
from tests.support.live_server import PASSWORD
from tests.support.platform import (
    DATABASE,
    REDIS_URL,
    Room,
    Topology,
    topology_start,
)


@pytest.fixture(scope="session")
def platform_backends() -> Iterator[None]:
    """No database yet (serve creates it) and an empty Redis index; both cleared afterwards."""
    redis_flush(REDIS_URL)
    database_drop(DATABASE)
    yield
    database_drop(DATABASE)
    redis_flush(REDIS_URL)


@pytest.fixture(scope="module")
def topology(platform_backends, tmp_path_factory) -> Iterator[Topology]:
    """Two uvicorn workers behind nginx, shared by the tests of a module."""
    running = topology_start(tmp_path_factory.mktemp("platform"), workers=2)
    yield running
    running.stop()


@pytest.fixture
def room_of_two() -> Iterator[Any]:
    """Makes a room through a base URL: one user signs up and creates it, another joins."""
    clients: list[httpx.Client] = []

    def make(base_url: str) -> Room:
        tag = uuid4().hex[:8]
        owner = signup(base_url, f"ada-{tag}", PASSWORD)
        member = signup(base_url, f"grace-{tag}", PASSWORD)
        clients.extend((owner, member))
        slug = create_room(owner, f"Platform {tag}")
        join_room(member, slug)
        return Room(slug, [cookie_header(owner), cookie_header(member)], owner)

    yield make
    for client in clients:
        client.close()
