from django.apps import AppConfig


class JobsConfig(AppConfig):
    """What makes django-tasks-db's workers dependable: heartbeats, retries, schedules.

    Named ``jobs`` because ``tasks`` would shadow ``django_tasks``' vocabulary in every
    import and ``platform`` shadows the standard library (README, Layout).
    """

    name = "jobs"
    verbose_name = "Background jobs"
