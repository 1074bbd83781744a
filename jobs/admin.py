from django.contrib import admin

from jobs.models import PeriodicSchedule, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["worker_id", "host", "pid", "started_at", "beat_at"]
    readonly_fields = ["worker_id", "host", "pid", "started_at", "beat_at"]


@admin.register(PeriodicSchedule)
class PeriodicScheduleAdmin(admin.ModelAdmin):
    list_display = ["task_path", "next_run_at", "last_enqueued_at"]
