from django.contrib import admin
from django.http import HttpRequest

from audit.models import AuditLogEntry


@admin.register(AuditLogEntry)
class AuditLogEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "room", "actor", "action", "target_user", "reason"]
    list_filter = ["action", "room", "created_at"]
    search_fields = ["actor__username", "target_user__username", "reason", "room__name"]
    list_select_related = ["room", "actor", "target_user"]
    date_hierarchy = "created_at"

    # The audit trail is read-only, even for site admins.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
