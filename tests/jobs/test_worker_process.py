"""``manage.py task_worker`` for real: worker processes on one SQLite file, one killed mid-job."""

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from chatclient.server import REPO_ROOT
from tests.support.processes import configured_env, run_configured

# The worker loop's own poll and the heartbeat, fast enough for a test to wait on.
BEAT = "0.3"


@pytest.fixture
def worker_env(tmp_path) -> dict[str, str]:
    env = {
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
        "PARLEY_TASK_HEARTBEAT": BEAT,
        "PYTHONUNBUFFERED": "1",
    }
    run_configured([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env)
    return env


@pytest.fixture
def start_worker(tmp_path, worker_env) -> Iterator:
    processes: list[subprocess.Popen] = []

    def start(worker_id: str) -> subprocess.Popen:
        command = [sys.executable, "manage.py", "task_worker", "--worker-id", worker_id]
        with (tmp_path / f"{worker_id}.log").open("wb") as log:
            process = subprocess.Popen(
                [*command, "--interval", "0.1"],
                cwd=REPO_ROOT,
                env=configured_env(worker_env),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


def query(env: dict[str, str], sql: str) -> list[tuple]:
    with sqlite3.connect(env["SQLITE_PATH"], timeout=20) as connection:
        return connection.execute(sql).fetchall()


def wait_for(condition, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


@pytest.mark.live
def test_a_job_whose_worker_is_killed_mid_way_completes_exactly_once_on_another_worker(
    tmp_path, worker_env, start_worker
):
    log, release = tmp_path / "job.log", tmp_path / "release"
    run_configured(
        "import django; django.setup()\n"
        "from tests.support.tasks import wait_for_file\n"
        f"wait_for_file.enqueue(log={str(log)!r}, release={str(release)!r})",
        env=worker_env,
    )
    first = start_worker("first")
    wait_for(lambda: lines(log) == ["started"], "the first worker to start the job")

    first.send_signal(signal.SIGKILL)
    first.wait()
    release.touch()
    second = start_worker("second")

    # Only this job: the worker also enqueues the project's periodic ones.
    jobs = (
        "SELECT status, worker_ids FROM django_tasks_database_dbtaskresult"
        " WHERE task_path LIKE '%.wait_for_file'"
    )
    wait_for(lambda: query(worker_env, jobs)[0][0] == "SUCCESSFUL", "the job to succeed")
    [(status, worker_ids)] = query(worker_env, jobs)
    assert status == "SUCCESSFUL"
    assert json.loads(worker_ids) == ["first", "second"]
    assert lines(log) == ["started", "started", "finished"]

    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=15) == 0
    beating = query(worker_env, "SELECT worker_id FROM jobs_workerheartbeat")
    assert beating == [("first",)]  # killed, so it never said goodbye; the second one did


@pytest.mark.live
def test_a_worker_stopped_with_sigterm_finishes_the_job_in_hand_first(
    tmp_path, worker_env, start_worker
):
    log, release = tmp_path / "job.log", tmp_path / "release"
    run_configured(
        "import django; django.setup()\n"
        "from tests.support.tasks import wait_for_file\n"
        f"wait_for_file.enqueue(log={str(log)!r}, release={str(release)!r})",
        env=worker_env,
    )
    worker = start_worker("only")
    wait_for(lambda: lines(log) == ["started"], "the worker to start the job")

    worker.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert worker.poll() is None
    release.touch()

    assert worker.wait(timeout=15) == 0
    assert lines(log) == ["started", "finished"]
    assert query(worker_env, "SELECT worker_id FROM jobs_workerheartbeat") == []


def test_the_worker_refuses_to_start_with_a_periodic_task_that_does_not_exist(settings):
    settings.PARLEY_PERIODIC_TASKS = {"tests.support.tasks.no_such_task": 60}

    with pytest.raises(CommandError, match="PARLEY_PERIODIC_TASKS"):
        call_command("task_worker")


def test_the_worker_refuses_a_periodic_entry_that_is_not_a_task(settings):
    settings.PARLEY_PERIODIC_TASKS = {"tests.support.tasks.tasks_run_pending": 60}

    with pytest.raises(CommandError, match="is not a task"):
        call_command("task_worker")
