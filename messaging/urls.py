from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("<slug:slug>/messages/", views.room_messages_view, name="history"),
    path("<slug:slug>/pins/", views.room_pins_view, name="pins"),
    path(
        "<slug:slug>/messages/<int:message_id>/history/",
        views.message_history_view,
        name="edit_history",
    ),
]
