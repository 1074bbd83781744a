from django.urls import path

from rooms import views

app_name = "rooms"

urlpatterns = [
    path("", views.room_list_view, name="list"),
    path("new/", views.room_create_view, name="create"),
    path("<slug:slug>/", views.room_detail_view, name="detail"),
    path("<slug:slug>/join/", views.room_join_view, name="join"),
    path("<slug:slug>/leave/", views.room_leave_view, name="leave"),
]
