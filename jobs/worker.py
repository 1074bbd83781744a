"""A task worker: django-tasks-db's own loop, with this app's housekeeping beside it.

The loop (``db_worker.Worker``) claims and runs jobs in the main thread. A job may
run for minutes, so the heartbeat cannot wait for the loop: a thread beats, puts back
the jobs of dead workers and enqueues periodic jobs, every ``PARLEY_TASK_HEARTBEAT``
seconds.
"""

import logging
import os
import socket
import threading

from django.conf import settings
from django.db import close_old_connections, connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from jobs.services import (
    heartbeat_beat,
    heartbeat_remove,
    heartbeats_prune,
    jobs_recover_abandoned,
    periodic_enqueue_due,
)

logger = logging.getLogger(__name__)


def worker_id_new() -> str:
    """Unique across the pool and readable in the admin: host, pid and a random tail."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"[:64]


def housekeeping_once(*, worker_id: str) -> None:
    heartbeat_beat(worker_id=worker_id)
    jobs_recover_abandoned()
    periodic_enqueue_due()
    heartbeats_prune()


class Housekeeping(threading.Thread):
    def __init__(self, *, worker_id: str, interval: float) -> None:
        super().__init__(name="task-worker-housekeeping", daemon=True)
        self.worker_id = worker_id
        self.interval = interval
        self.stopping = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopping.wait(self.interval):
                try:
                    housekeeping_once(worker_id=self.worker_id)
                except Exception:
                    # A database outage must not end the heartbeat for good: the next
                    # beat tries again, and a worker silent for long is presumed dead.
                    logger.exception("task worker %s: housekeeping failed", self.worker_id)
                finally:
                    close_old_connections()
        finally:
            connections.close_all()


def task_worker_run(*, worker_id: str, queue_names: list[str], interval: float) -> None:
    """Run jobs until SIGTERM or SIGINT; the job in hand is finished first."""
    # Before the first claim: jobs a killed worker left are queued again at once, and
    # this worker's heartbeat exists before any job names it.
    housekeeping_once(worker_id=worker_id)
    housekeeping = Housekeeping(worker_id=worker_id, interval=settings.PARLEY_TASK_HEARTBEAT)
    worker = Worker(
        queue_names=queue_names,
        interval=interval,
        batch=False,
        backend_name="default",
        startup_delay=True,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    housekeeping.start()
    logger.info("task worker %s started (pid %d)", worker_id, os.getpid())
    try:
        worker.configure_signals()
        worker.run()
    finally:
        housekeeping.stopping.set()
        housekeeping.join(timeout=settings.PARLEY_TASK_HEARTBEAT + 5)
        heartbeat_remove(worker_id=worker_id)
        logger.info("task worker %s stopped", worker_id)
