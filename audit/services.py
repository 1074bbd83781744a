from typing import Any

from accounts.models import User
from audit.models import AuditLogEntry


def audit_record(
    *,
    room: Any,
    actor: User | None,
    action: str,
    target_user: User | None = None,
    target_message: Any = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> AuditLogEntry:
    """Write one line of a room's moderation history."""
    return AuditLogEntry.objects.create(
        room=room,
        actor=actor,
        action=action,
        target_user=target_user,
        target_message=target_message,
        reason=reason,
        details=details or {},
    )
