from django.contrib import admin

from messaging.models import Message


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ["id", "room", "author", "short_body", "created_at"]
    list_filter = ["room", "created_at"]
    search_fields = ["body", "author__username", "author__display_name", "room__name"]
    list_select_related = ["room", "author"]
    raw_id_fields = ["room", "author"]
    readonly_fields = ["created_at", "client_id"]
    date_hierarchy = "created_at"

    @admin.display(description="body")
    def short_body(self, message: Message) -> str:
        return message.body if len(message.body) <= 80 else f"{message.body[:79]}…"
