"""Background jobs of attachments (django-tasks; run by ``manage.py db_worker``)."""

from django_tasks import task

from attachments import services


@task()
def attachment_thumbnail_make(*, attachment_id: int) -> bool:
    """Enqueued when an image upload commits."""
    return services.attachment_thumbnail_make(attachment_id=attachment_id)


@task()
def attachments_remove_unused() -> int:
    """Periodic (hourly): uploads no message claimed within a day."""
    return services.attachments_remove_unused()
