"""Fixtures of the scale-out tests: the backends serve starts on, and its topology."""

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import httpx
import psycopg
import pytest
import redis
from psycopg import sql

from chatclient.client import cookie_header, create_room, join_room, signup
from tests.support.live_server import PASSWORD
from tests.support.platform import (
    DATABASE,
    POSTGRES_ADMIN_URL,
    REDIS_URL,
    Room,
    Topology,
    topology_start,
)


def _drop_database(admin: psycopg.Connection) -> None:
    admin.execute(
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DATABASE))
    )


@pytest.fixture(scope="session")
def platform_backends() -> Iterator[None]:
    """No database yet (serve creates it) and an empty Redis index; both cleared afterwards."""
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        _drop_database(admin)
    yield
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        _drop_database(admin)
    store.flushdb()
    store.close()


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
