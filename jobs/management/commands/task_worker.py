"""``manage.py task_worker``: runs background jobs; see README, "Background work".

Use it instead of django-tasks-db's ``db_worker``: a job left running by a
``db_worker`` has no heartbeat behind it and is taken for abandoned.
"""

from argparse import ArgumentParser

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string
from django_tasks.base import Task

from jobs.worker import task_worker_run, worker_id_new


class Command(BaseCommand):
    help = "Run background jobs, with a heartbeat, retries of abandoned jobs and periodic jobs."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--queue-name",
            default="default",
            help="queues to take jobs from, separated by commas; '*' for all (default: default)",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds to wait when no job is ready (default: 1)",
        )
        parser.add_argument(
            "--worker-id", default=None, help="unique in the pool (default: host-pid-random)"
        )

    def handle(self, *, queue_name: str, interval: float, worker_id: str | None, **options) -> None:
        # A mistyped periodic task would otherwise fail quietly every interval, in a thread.
        for task_path in settings.PARLEY_PERIODIC_TASKS:
            try:
                task = import_string(task_path)
            except ImportError as error:
                raise CommandError(f"PARLEY_PERIODIC_TASKS: {error}") from error
            if not isinstance(task, Task):
                raise CommandError(f"PARLEY_PERIODIC_TASKS: {task_path} is not a task")
        if worker_id is not None and not 0 < len(worker_id) <= 64:
            raise CommandError("--worker-id must be 1 to 64 characters")
        task_worker_run(
            worker_id=worker_id or worker_id_new(),
            queue_names=queue_name.split(","),
            interval=interval,
        )
