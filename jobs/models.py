from django.db import models


class WorkerHeartbeat(models.Model):
    """One running task worker and the last time it said so.

    Kept in the database rather than the cache: the in-memory cache of ``bin/run`` is not
    shared between the server and its worker, and the database is the one thing both
    always share.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-beat_at"]

    def __str__(self) -> str:
        return f"{self.worker_id} (pid {self.pid} on {self.host})"


class PeriodicSchedule(models.Model):
    """When a task of ``PARLEY_PERIODIC_TASKS`` is next due, shared by every worker."""

    task_path = models.CharField(max_length=255, unique=True)
    next_run_at = models.DateTimeField()
    last_enqueued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["task_path"]

    def __str__(self) -> str:
        return self.task_path
