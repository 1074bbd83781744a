from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from rooms.models import Membership, Room
from rooms.services import membership_revoke


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["joined_at"]
    # Members are removed from the Membership admin, which closes their sockets.
    can_delete = False


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_by", "created_at", "member_count"]
    search_fields = ["name", "slug", "description"]
    list_filter = ["created_at"]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["created_by"]
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Room]:
        return (
            super()
            .get_queryset(request)
            .select_related("created_by")
            .annotate(member_count=Count("memberships"))
        )

    @admin.display(ordering="member_count", description="members")
    def member_count(self, room: Room) -> int:
        return room.member_count


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "room", "role", "joined_at"]
    list_filter = ["role", "room"]
    search_fields = ["user__username", "user__display_name", "room__name", "room__slug"]
    list_select_related = ["user", "room"]
    autocomplete_fields = ["user", "room"]

    # Removing a member goes through the service so their open sockets close.
    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        membership_revoke(room=obj.room, user=obj.user, keep_an_owner=False)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.select_related("room", "user"):
            membership_revoke(room=membership.room, user=membership.user, keep_an_owner=False)
