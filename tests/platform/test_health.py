"""``/healthz``: 200 only when the database and the channel layer answer, for the load balancer."""

import socket
import subprocess
import time

import httpx
import pytest
import redis
from channels.layers import channel_layers

from chatclient.server import REPO_ROOT, free_port
from jobs.services import heartbeat_beat, heartbeat_remove
from tests.support.platform import REDIS_URL, serve_env, serve_module


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_healthz_answers_ok_when_database_and_channel_layer_answer(client, db):
    """The probe passes with the test database and the in-memory layer, and is never cached."""
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


def test_healthz_needs_no_session_and_sets_no_cookie(client, db):
    """An anonymous probe is answered, not redirected to the log-in page, and leaves no session."""
    response = client.get("/healthz", follow=False)

    assert response.status_code == 200
    assert not response.cookies
    assert "Cookie" not in response.headers.get("Vary", "")


def test_healthz_answers_503_naming_the_channel_layer_when_redis_is_refused(client, db, settings):
    """A Redis channel layer whose server is down fails the probe, quickly, and says which."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [f"redis://127.0.0.1:{closed_port()}/0"]},
        }
    }
    channel_layers.backends.clear()
    started = time.monotonic()

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": ["channel_layer"]}
    assert time.monotonic() - started < 5


def test_healthz_ignores_task_workers_where_none_are_expected(client, db, settings):
    """A server started without workers (the live tests, a plain daphne) stays healthy."""
    settings.PARLEY_TASK_WORKERS = 0

    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_healthz_answers_ok_while_an_expected_task_worker_beats(client, db, settings, wall_clock):
    settings.PARLEY_TASK_WORKERS = 1
    settings.PARLEY_TASK_HEARTBEAT = 5
    heartbeat_beat(worker_id="w1")
    wall_clock.shift(14)

    response = client.get("/healthz")

    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_healthz_answers_503_naming_the_task_worker_when_the_expected_one_stopped_beating(
    client, db, settings, wall_clock
):
    """Killed without a word: three missed beats and the probe says so."""
    settings.PARLEY_TASK_WORKERS = 1
    settings.PARLEY_TASK_HEARTBEAT = 5
    heartbeat_beat(worker_id="w1")
    wall_clock.shift(16)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": ["task_worker"]}


def test_healthz_answers_503_at_once_when_the_expected_task_worker_stopped_cleanly(
    client, db, settings
):
    settings.PARLEY_TASK_WORKERS = 1
    heartbeat_beat(worker_id="w1")
    heartbeat_remove(worker_id="w1")

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": ["task_worker"]}


@pytest.mark.live
@pytest.mark.redis
def test_a_worker_whose_database_is_down_answers_503_naming_the_database(tmp_path):
    """A real worker pointed at a PostgreSQL port where nothing listens keeps serving the probe."""
    redis.Redis.from_url(REDIS_URL).ping()  # an unreachable Redis would fail the wrong check
    port = free_port()
    env = serve_env(DATABASE_URL=f"postgres://postgres@127.0.0.1:{closed_port()}/parley")
    command = serve_module().worker_command("uvicorn", port)
    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except httpx.TransportError:
                assert worker.poll() is None, (tmp_path / "worker.log").read_text()
                assert time.monotonic() < deadline, "the worker did not start"
                time.sleep(0.1)
    finally:
        worker.terminate()
        worker.wait(timeout=15)

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "failed": ["database"]}
