"""The worker's housekeeping: its heartbeat, jobs its dead peers left, periodic jobs.

Jobs are delivered at least once: a job whose worker dies mid-way runs again, so a
task must be safe to repeat (delete what is still unused, make a thumbnail that may
already exist).
"""

import logging
import os
import socket
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jobs.models import PeriodicSchedule, WorkerHeartbeat
from jobs.selectors import heartbeat_fresh_since, worker_ids_alive

logger = logging.getLogger(__name__)

# How long the row of a worker that was killed stays, for the admin to show.
HEARTBEAT_KEPT = timedelta(days=1)


class WorkerLost(Exception):
    """The worker running a job stopped before the job finished, too many times."""


def heartbeat_beat(*, worker_id: str) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"beat_at": now},
        create_defaults={
            "beat_at": now,
            "started_at": now,
            "host": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )


def heartbeat_remove(*, worker_id: str) -> None:
    """A worker that stops cleanly says so at once, instead of going stale."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def heartbeats_prune() -> None:
    """Rows of workers gone for a day: a job still naming one is recovered all the same."""
    WorkerHeartbeat.objects.filter(beat_at__lt=timezone.now() - HEARTBEAT_KEPT).delete()


def jobs_recover_abandoned() -> list[DBTaskResult]:
    """Jobs left RUNNING by a worker that no longer beats go back to READY, or fail.

    A job's ``worker_ids`` grows by one each time a worker claims it, so its length is the
    number of attempts and its last entry the worker that holds it now.
    """
    fresh_since = heartbeat_fresh_since()
    # Started before the freshness window: a worker always beats before it claims, so a
    # job claimed since then cannot be mistaken for one whose worker has gone.
    candidates = DBTaskResult.objects.running().filter(started_at__lt=fresh_since)
    if not candidates.exists():
        return []
    alive = worker_ids_alive()
    recovered = []
    for job_id in candidates.values_list("id", flat=True):
        with transaction.atomic():
            # Locked and read again, so two workers recovering at once act on it once.
            job = DBTaskResult.objects.select_for_update(skip_locked=True).filter(id=job_id).first()
            if job is None or job.status != TaskResultStatus.RUNNING or not job.worker_ids:
                continue
            if job.worker_ids[-1] in alive:
                continue
            if len(job.worker_ids) >= settings.PARLEY_TASK_MAX_ATTEMPTS:
                job.set_failed(
                    WorkerLost(
                        f"The worker running this job stopped before it finished, "
                        f"{len(job.worker_ids)} times (workers {', '.join(job.worker_ids)}); "
                        f"PARLEY_TASK_MAX_ATTEMPTS is {settings.PARLEY_TASK_MAX_ATTEMPTS}."
                    )
                )
                logger.error("job %s (%s) failed: its worker was lost", job.id, job.task_path)
            else:
                job.status = TaskResultStatus.READY
                job.save(update_fields=["status"])
                logger.warning(
                    "job %s (%s) was left running by worker %s; queued again",
                    job.id,
                    job.task_path,
                    job.worker_ids[-1],
                )
            recovered.append(job)
    return recovered


def periodic_enqueue_due() -> list[str]:
    """Enqueue each task of ``PARLEY_PERIODIC_TASKS`` that is due; returns their paths.

    A worker that was down for several intervals enqueues a task once, not once per
    interval missed.
    """
    now = timezone.now()
    enqueued = []
    for task_path, seconds in settings.PARLEY_PERIODIC_TASKS.items():
        interval = timedelta(seconds=seconds)
        schedule, _ = PeriodicSchedule.objects.get_or_create(
            task_path=task_path, defaults={"next_run_at": now}
        )
        # An interval shortened in the settings takes effect now, not after the old one.
        due_at = min(schedule.next_run_at, now + interval)
        if due_at > now:
            if due_at != schedule.next_run_at:
                PeriodicSchedule.objects.filter(pk=schedule.pk).update(next_run_at=due_at)
            continue
        with transaction.atomic():
            # Conditional on the time this worker read: of several workers that found the
            # task due, only the one whose UPDATE lands first moves it, and only it enqueues.
            claimed = PeriodicSchedule.objects.filter(
                pk=schedule.pk, next_run_at=schedule.next_run_at
            ).update(next_run_at=now + interval, last_enqueued_at=now)
            if claimed:
                import_string(task_path).enqueue()
                enqueued.append(task_path)
    return enqueued
