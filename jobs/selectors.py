from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from jobs.models import WorkerHeartbeat

# Beats a worker may miss (a slow database, a busy machine) before it counts as gone.
MISSED_BEATS = 3


def heartbeat_fresh_since() -> datetime:
    """A worker whose last beat is older than this has stopped or been killed."""
    return timezone.now() - timedelta(seconds=MISSED_BEATS * settings.PARLEY_TASK_HEARTBEAT)


def worker_ids_alive() -> set[str]:
    return set(
        WorkerHeartbeat.objects.filter(beat_at__gte=heartbeat_fresh_since()).values_list(
            "worker_id", flat=True
        )
    )


def worker_alive_exists() -> bool:
    return WorkerHeartbeat.objects.filter(beat_at__gte=heartbeat_fresh_since()).exists()
