"""Background jobs in tests: run what was enqueued, when the test says so; and tasks to run.

The tests keep the settings' database backend, so ``some_task.enqueue()`` stores a READY
row exactly as in production and nothing runs until ``tasks_run_pending()``: a test
asserts what was enqueued, then runs it, deterministically and in its own process.
"""

import time
from pathlib import Path
from unittest import mock

from django_tasks import TaskResult, TaskResultStatus, task
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult


class _RecordingWorker(db_worker.Worker):
    def __init__(self) -> None:
        super().__init__(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="tests",
            excluded_queue_names=[],
        )
        self.ran: list[DBTaskResult] = []

    def run_task(self, db_task_result: DBTaskResult) -> None:
        super().run_task(db_task_result)
        self.ran.append(db_task_result)


def tasks_run_pending(*, raise_failures: bool = True) -> list[TaskResult]:
    """Run every job that is ready, in every queue, jobs enqueued by those jobs included.

    Returns their results in the order they ran. A job that raised fails the test with its
    traceback, unless ``raise_failures=False`` (to test the failure itself). Jobs deferred
    with ``run_after`` wait for the clock: move it with the ``wall_clock`` fixture.
    """
    worker = _RecordingWorker()
    # The worker loop closes "old" connections between jobs; inside a test's transaction
    # that would close the test's own connection.
    with mock.patch.object(db_worker, "close_old_connections"):
        worker.run()
    failed = [job for job in worker.ran if job.status == TaskResultStatus.FAILED]
    if raise_failures and failed:
        raise AssertionError(
            "\n".join(f"job {job.task_path} failed:\n{job.traceback}" for job in failed)
        )
    return [job.task_result for job in worker.ran]


# Tasks the tests enqueue, importable by a worker in another process.


@task()
def note_run(*, log: str, word: str = "ran") -> str:
    with Path(log).open("a") as file:
        file.write(f"{word}\n")
    return word


@task()
def periodic_probe() -> str:
    return "probed"


@task()
def fail_loudly() -> None:
    raise ValueError("this task always fails")


@task()
def wait_for_file(*, log: str, release: str, timeout: float = 60) -> str:
    """Says it started, waits until ``release`` exists, then says it finished."""
    with Path(log).open("a") as file:
        file.write("started\n")
    deadline = time.monotonic() + timeout
    while not Path(release).exists():
        if time.monotonic() > deadline:
            raise TimeoutError(release)
        time.sleep(0.05)
    with Path(log).open("a") as file:
        file.write("finished\n")
    return "finished"
