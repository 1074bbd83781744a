from django.urls import path

from rooms.views import invitations, moderation, rooms

app_name = "rooms"

urlpatterns = [
    path("", rooms.room_list_view, name="list"),
    path("new/", rooms.room_create_view, name="create"),
    path("invitations/<str:token>/", invitations.invitation_view, name="invitation"),
    path("<slug:slug>/", rooms.room_detail_view, name="detail"),
    path("<slug:slug>/join/", rooms.room_join_view, name="join"),
    path("<slug:slug>/leave/", rooms.room_leave_view, name="leave"),
    path("<slug:slug>/members/", moderation.room_members_view, name="members"),
    path(
        "<slug:slug>/members/<str:username>/",
        moderation.member_action_view,
        name="member_action",
    ),
    path("<slug:slug>/bans/<int:ban_id>/lift/", moderation.ban_lift_view, name="ban_lift"),
    path("<slug:slug>/settings/", moderation.room_settings_view, name="settings"),
    path("<slug:slug>/settings/<str:switch>/", moderation.room_switch_view, name="switch"),
    path("<slug:slug>/audit/", moderation.room_audit_view, name="audit"),
    path("<slug:slug>/invitations/", invitations.room_invitations_view, name="invitations"),
    path(
        "<slug:slug>/invitations/<int:invitation_id>/revoke/",
        invitations.invitation_revoke_view,
        name="invitation_revoke",
    ),
]
