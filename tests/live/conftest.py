from collections.abc import Iterator
from pathlib import Path

import pytest

from chatclient.server import LiveServer, database_drop, database_recreate, redis_flush
from tests.support.live_server import (
    SCALED_DATABASE,
    SCALED_DATABASE_URL,
    SCALED_REDIS_URL,
)


@pytest.fixture(scope="module")
def scaled_backends() -> Iterator[None]:
    """A fresh PostgreSQL database and Redis index; unreachable servers fail the tests."""
    redis_flush(SCALED_REDIS_URL)
    database_recreate(SCALED_DATABASE)
    yield
    database_drop(SCALED_DATABASE)
    redis_flush(SCALED_REDIS_URL)


def scaled_server(tmp_dir: Path) -> LiveServer:
    """Daphne on the shared PostgreSQL database and the Redis channel layer."""
    return LiveServer(tmp_dir, database_url=SCALED_DATABASE_URL, redis_url=SCALED_REDIS_URL)


@pytest.fixture(scope="module")
def daphne_server_scaled(scaled_backends, tmp_path_factory) -> Iterator[LiveServer]:
    """Daphne on PostgreSQL and the Redis channel layer, as in production."""
    server = scaled_server(tmp_path_factory.mktemp("scaled"))
    yield server.start()
    server.stop()


@pytest.fixture(scope="module")
def daphne_server_scaled_twin(daphne_server_scaled, tmp_path_factory) -> Iterator[LiveServer]:
    """A second daphne process on the same database and Redis, on its own port."""
    server = scaled_server(tmp_path_factory.mktemp("scaled-twin"))
    # The first server already migrated the shared database.
    yield server.start(migrate=False)
    server.stop()
