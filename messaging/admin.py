from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from messaging.models import Message
from messaging.services import MessageRejected, message_delete


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "room", "author", "short_body", "created_at", "edited_at", "deleted_at"]
    list_filter = ["room", "created_at", ("deleted_at", admin.EmptyFieldListFilter)]
    search_fields = ["body", "author__username", "author__display_name", "room__name"]
    list_select_related = ["room", "author"]
    raw_id_fields = ["room", "author", "deleted_by"]
    readonly_fields = ["created_at", "client_id", "edited_at", "deleted_at", "deleted_by"]
    date_hierarchy = "created_at"
    actions = ["remove_messages"]

    @admin.display(description="body")
    def short_body(self, message: Message) -> str:
        return message.body if len(message.body) <= 80 else f"{message.body[:79]}…"

    @admin.action(description="Remove selected messages (from every open page, live)")
    def remove_messages(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        removed = 0
        for message in queryset.filter(deleted_at__isnull=True).select_related("room"):
            try:
                message_delete(
                    room=message.room,
                    user=request.user,
                    message_id=message.pk,
                    reason="Removed by a site admin",
                )
            except MessageRejected as rejected:
                self.message_user(request, rejected.detail, messages.ERROR)
            else:
                removed += 1
        self.message_user(request, f"Removed {removed} message(s).")

    # Deletion is soft everywhere, the admin included: the row stays for the audit trail.
    def has_delete_permission(self, request: HttpRequest, obj: Message | None = None) -> bool:
        return False
