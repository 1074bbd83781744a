from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile_view, name="profile"),
    path("profile/avatar/", views.avatar_upload_view, name="avatar_upload"),
    path("profile/avatar/remove/", views.avatar_remove_view, name="avatar_remove"),
    path("avatars/<int:user_id>/<int:version>.webp", views.avatar_view, name="avatar"),
]
