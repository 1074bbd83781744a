from django.db.models import QuerySet

from audit.models import AuditLogEntry
from rooms.models import Room


def audit_list(*, room: Room) -> QuerySet[AuditLogEntry]:
    return AuditLogEntry.objects.filter(room=room).select_related(
        "actor", "target_user", "target_message"
    )
