from django.urls import path

from messaging.consumers import InboxConsumer, RoomConsumer

websocket_urlpatterns = [
    path("ws/rooms/<slug:slug>/", RoomConsumer.as_asgi()),
    path("ws/inbox/", InboxConsumer.as_asgi()),
]
