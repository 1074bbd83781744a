from django.urls import path

from messaging import views

app_name = "messaging"

urlpatterns = [
    path("<slug:slug>/messages/", views.room_messages_view, name="history"),
]
