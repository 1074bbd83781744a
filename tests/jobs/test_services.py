"""The worker's housekeeping: heartbeats, jobs their worker abandoned, periodic jobs."""

from unittest import mock

import pytest
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jobs.models import PeriodicSchedule, WorkerHeartbeat
from jobs.selectors import worker_alive_exists, worker_ids_alive
from jobs.services import (
    heartbeat_beat,
    heartbeat_remove,
    heartbeats_prune,
    jobs_recover_abandoned,
    periodic_enqueue_due,
)
from tests.support.tasks import fail_loudly, note_run, tasks_run_pending

PROBE = "tests.support.tasks.periodic_probe"
HOUR = 3600


@pytest.fixture(autouse=True)
def _heartbeat_every_five_seconds(settings):
    settings.PARLEY_TASK_HEARTBEAT = 5
    settings.PARLEY_TASK_MAX_ATTEMPTS = 3
    settings.PARLEY_PERIODIC_TASKS = {}


def running_job(worker_id: str, tmp_path) -> DBTaskResult:
    """A job a worker has claimed and not finished."""
    job = DBTaskResult.objects.get(id=note_run.enqueue(log=str(tmp_path / "log")).id)
    job.claim(worker_id)
    return job


def job_status(job: DBTaskResult) -> str:
    job.refresh_from_db()
    return job.status


def test_a_worker_that_beats_is_alive_until_it_misses_three_beats(db, wall_clock):
    heartbeat_beat(worker_id="w1")
    wall_clock.shift(14)
    assert worker_ids_alive() == {"w1"}

    wall_clock.shift(2)

    assert worker_ids_alive() == set()
    assert not worker_alive_exists()


def test_a_worker_that_stops_cleanly_is_gone_at_once(db):
    heartbeat_beat(worker_id="w1")

    heartbeat_remove(worker_id="w1")

    assert not worker_alive_exists()


def test_a_job_whose_worker_stopped_beating_is_queued_again_and_then_runs(db, wall_clock, tmp_path):
    heartbeat_beat(worker_id="w1")
    job = running_job("w1", tmp_path)
    wall_clock.shift(16)

    recovered = jobs_recover_abandoned()

    assert [j.id for j in recovered] == [job.id]
    assert job_status(job) == TaskResultStatus.READY
    [result] = tasks_run_pending()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.attempts == 2
    assert (tmp_path / "log").read_text() == "ran\n"


def test_a_job_whose_worker_still_beats_is_left_running_however_long_it_takes(
    db, wall_clock, tmp_path
):
    heartbeat_beat(worker_id="w1")
    job = running_job("w1", tmp_path)
    for _ in range(100):
        wall_clock.shift(5)
        heartbeat_beat(worker_id="w1")

    assert jobs_recover_abandoned() == []
    assert job_status(job) == TaskResultStatus.RUNNING


def test_a_job_claimed_moments_ago_is_left_alone_even_without_a_heartbeat(db, tmp_path):
    job = running_job("no-heartbeat-yet", tmp_path)

    assert jobs_recover_abandoned() == []
    assert job_status(job) == TaskResultStatus.RUNNING


def test_a_job_whose_worker_was_removed_is_recovered_too(db, wall_clock, tmp_path):
    """A worker stopped by a second Ctrl+C mid-job removes its heartbeat and leaves the job."""
    heartbeat_beat(worker_id="w1")
    job = running_job("w1", tmp_path)
    heartbeat_remove(worker_id="w1")
    wall_clock.shift(16)

    jobs_recover_abandoned()

    assert job_status(job) == TaskResultStatus.READY


def test_a_job_that_lost_its_worker_on_every_attempt_fails_with_a_clear_error(
    db, wall_clock, tmp_path
):
    job = running_job("w1", tmp_path)
    for worker_id in ("w2", "w3"):
        wall_clock.shift(16)
        jobs_recover_abandoned()
        job.refresh_from_db()
        job.claim(worker_id)
    wall_clock.shift(16)

    jobs_recover_abandoned()

    result = note_run.get_result(job.id)
    assert result.status == TaskResultStatus.FAILED
    assert result.attempts == 3
    [error] = result.errors
    assert error.exception_class_path == "jobs.services.WorkerLost"
    assert "stopped before it finished, 3 times (workers w1, w2, w3)" in error.traceback
    assert not (tmp_path / "log").exists()


def test_finished_jobs_are_never_touched(db, wall_clock, tmp_path):
    note_run.enqueue(log=str(tmp_path / "log"))
    fail_loudly.enqueue()
    tasks_run_pending(raise_failures=False)
    wall_clock.shift(16)

    assert jobs_recover_abandoned() == []


def test_heartbeats_of_workers_gone_for_a_day_are_pruned(db, wall_clock):
    heartbeat_beat(worker_id="gone")
    wall_clock.shift(24 * HOUR + 1)
    heartbeat_beat(worker_id="here")

    heartbeats_prune()

    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["here"]


def enqueued_probes() -> int:
    return DBTaskResult.objects.filter(task_path=PROBE).count()


def test_a_periodic_task_is_enqueued_when_first_seen_and_then_once_per_interval(
    db, wall_clock, settings
):
    settings.PARLEY_PERIODIC_TASKS = {PROBE: HOUR}

    assert periodic_enqueue_due() == [PROBE]
    assert periodic_enqueue_due() == []
    wall_clock.shift(HOUR - 1)
    assert periodic_enqueue_due() == []
    wall_clock.shift(1)
    assert periodic_enqueue_due() == [PROBE]

    assert enqueued_probes() == 2
    assert [r.return_value for r in tasks_run_pending()] == ["probed", "probed"]


def test_two_workers_that_find_a_periodic_task_due_at_once_enqueue_it_once(
    db, wall_clock, settings
):
    settings.PARLEY_PERIODIC_TASKS = {PROBE: HOUR}
    periodic_enqueue_due()
    wall_clock.shift(HOUR)
    # The second worker read the schedule before the first one's UPDATE landed.
    read_before = PeriodicSchedule.objects.get()

    assert periodic_enqueue_due() == [PROBE]
    with mock.patch.object(
        PeriodicSchedule.objects, "get_or_create", return_value=(read_before, False)
    ):
        assert periodic_enqueue_due() == []

    assert enqueued_probes() == 2


def test_a_periodic_task_missed_for_many_intervals_is_enqueued_once(db, wall_clock, settings):
    settings.PARLEY_PERIODIC_TASKS = {PROBE: 60}
    periodic_enqueue_due()
    wall_clock.shift(10 * 60)

    periodic_enqueue_due()
    periodic_enqueue_due()

    assert enqueued_probes() == 2


def test_a_shortened_interval_applies_from_now_not_after_the_old_one(db, wall_clock, settings):
    settings.PARLEY_PERIODIC_TASKS = {PROBE: 24 * HOUR}
    periodic_enqueue_due()
    settings.PARLEY_PERIODIC_TASKS = {PROBE: HOUR}

    periodic_enqueue_due()
    wall_clock.shift(HOUR)

    assert periodic_enqueue_due() == [PROBE]


def test_a_task_not_listed_is_never_enqueued(db):
    periodic_enqueue_due()

    assert not DBTaskResult.objects.exists()
