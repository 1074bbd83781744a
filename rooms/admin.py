from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from audit.models import AuditLogEntry
from audit.services import audit_record
from rooms.models import Ban, Invitation, Membership, Room
from rooms.permissions import Actor, PermissionDenied, actor_get
from rooms.services import (
    member_ban,
    member_kick,
    member_mute,
    member_role_set,
    member_unban,
    member_unmute,
    membership_revoke,
    ownership_transfer,
    room_archive_set,
    room_lock_set,
    room_update,
)


def admin_actor(request: HttpRequest, room: Room) -> Actor:
    """The site admin as seen from ``room``; staff act as owners everywhere."""
    return actor_get(user=request.user, room=room)


def apply_to_each(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    change: Callable[[Actor, Any], object],
) -> None:
    """Run one service call per item, as the site admin in the item's room; report refusals
    instead of failing the batch."""
    if queryset.model is not Room:
        queryset = queryset.select_related("room", "user")
    items = list(queryset)
    done = 0
    for item in items:
        try:
            change(admin_actor(request, item if isinstance(item, Room) else item.room), item)
        except PermissionDenied as denied:
            model_admin.message_user(request, f"{item}: {denied.detail}", messages.ERROR)
        else:
            done += 1
    model_admin.message_user(request, f"Done for {done} of {len(items)}.")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    readonly_fields = ["role", "joined_at", "muted_until", "last_posted_at"]
    # Members are added by joining or invitation (which respect bans), removed and
    # promoted from the Membership admin (which closes sockets and writes the audit log).
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "visibility",
        "is_locked",
        "slow_mode_seconds",
        "archived_at",
        "created_by",
        "member_count",
    ]
    search_fields = ["name", "slug", "description"]
    list_filter = ["visibility", "is_locked", ("archived_at", admin.EmptyFieldListFilter)]
    prepopulated_fields = {"slug": ["name"]}
    raw_id_fields = ["created_by"]
    readonly_fields = ["kind", "is_locked", "archived_at", "slow_mode_seconds"]
    inlines = [MembershipInline]

    def save_model(self, request: HttpRequest, obj: Room, form, change: bool) -> None:
        changed = {"name", "description", "visibility"} & set(form.changed_data)
        if not change or not changed:
            super().save_model(request, obj, form, change)
            return
        # Settings edited here reach open pages and the audit log like any other change.
        current = Room.objects.get(pk=obj.pk)
        room_update(
            actor=admin_actor(request, current),
            name=obj.name,
            description=obj.description,
            visibility=obj.visibility,
        )
        other = set(form.changed_data) - changed
        if other:
            Room.objects.filter(pk=obj.pk).update(**{field: getattr(obj, field) for field in other})

    actions = ["lock", "unlock", "archive", "unarchive"]

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

    @admin.action(description="Lock selected rooms (only moderators post)")
    def lock(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        apply_to_each(
            self, request, queryset, lambda actor, _room: room_lock_set(actor=actor, locked=True)
        )

    @admin.action(description="Unlock selected rooms")
    def unlock(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        apply_to_each(
            self, request, queryset, lambda actor, _room: room_lock_set(actor=actor, locked=False)
        )

    @admin.action(description="Archive selected rooms (read-only)")
    def archive(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda actor, _room: room_archive_set(actor=actor, archived=True),
        )

    @admin.action(description="Reopen selected rooms")
    def unarchive(self, request: HttpRequest, queryset: QuerySet[Room]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda actor, _room: room_archive_set(actor=actor, archived=False),
        )


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "room", "role", "joined_at", "muted_until"]
    list_filter = ["role", "room"]
    search_fields = ["user__username", "user__display_name", "room__name", "room__slug"]
    list_select_related = ["user", "room"]
    autocomplete_fields = ["user", "room"]
    readonly_fields = ["user", "room", "joined_at", "muted_until", "last_posted_at"]
    actions = ["ban", "mute_for_an_hour", "unmute", "promote", "demote"]

    def save_model(self, request: HttpRequest, obj: Membership, form, change: bool) -> None:
        if not (change and "role" in form.changed_data):
            super().save_model(request, obj, form, change)
            return
        # A role changed here is a promotion like any other: checked, audited, live.
        target = Membership.objects.select_related("room", "user").get(pk=obj.pk)
        actor = admin_actor(request, target.room)
        try:
            if obj.role == Membership.Role.OWNER:
                ownership_transfer(actor=actor, target=target)
            else:
                member_role_set(actor=actor, target=target, role=obj.role)
        except PermissionDenied as denied:
            self.message_user(request, denied.detail, messages.ERROR)

    # Memberships come from joining and invitations, which respect bans.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    # Removing a member is a kick: their sockets close and the audit log says who did it.
    def delete_model(self, request: HttpRequest, obj: Membership) -> None:
        self._remove(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.select_related("room", "user"):
            self._remove(request, membership)

    def _remove(self, request: HttpRequest, membership: Membership) -> None:
        try:
            member_kick(
                actor=admin_actor(request, membership.room),
                target=membership,
                reason="Removed by a site admin",
            )
        except PermissionDenied:
            # Only refused for the admin's own membership (or a fellow admin's).
            membership_revoke(
                room=membership.room, user=membership.user, keep_an_owner=False, reason="kicked"
            )
            audit_record(
                room=membership.room,
                actor=request.user,
                action=AuditLogEntry.Action.MEMBER_KICK,
                target_user=membership.user,
                reason="Removed by a site admin",
            )

    @admin.action(description="Make selected members moderators")
    def promote(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda actor, m: member_role_set(actor=actor, target=m, role=Membership.Role.MODERATOR),
        )

    @admin.action(description="Make selected moderators plain members")
    def demote(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda actor, m: member_role_set(actor=actor, target=m, role=Membership.Role.MEMBER),
        )

    @admin.action(description="Ban selected members from their rooms")
    def ban(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda actor, m: member_ban(actor=actor, target=m, reason="Banned by a site admin"),
        )

    @admin.action(description="Mute selected members for an hour")
    def mute_for_an_hour(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda actor, m: member_mute(actor=actor, target=m, duration=timedelta(hours=1)),
        )

    @admin.action(description="Unmute selected members")
    def unmute(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        apply_to_each(
            self, request, queryset, lambda actor, m: member_unmute(actor=actor, target=m)
        )


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    list_display = ["user", "room", "banned_by", "reason", "created_at", "expires_at"]
    list_filter = ["room"]
    search_fields = ["user__username", "room__name", "reason"]
    list_select_related = ["user", "room", "banned_by"]
    raw_id_fields = ["user", "room", "banned_by"]
    actions = ["unban"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # ban through the Membership admin, so the member's sockets close

    @admin.action(description="Unban selected")
    def unban(self, request: HttpRequest, queryset: QuerySet[Ban]) -> None:
        apply_to_each(
            self, request, queryset, lambda actor, ban: member_unban(actor=actor, ban=ban)
        )

    def delete_model(self, request: HttpRequest, obj: Ban) -> None:
        member_unban(actor=admin_actor(request, obj.room), ban=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Ban]) -> None:
        self.unban(request, queryset)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "room",
        "invited_user",
        "created_by",
        "uses",
        "max_uses",
        "expires_at",
        "revoked_at",
    ]
    list_filter = ["room"]
    raw_id_fields = ["room", "invited_user", "created_by"]
    readonly_fields = ["token", "uses"]
