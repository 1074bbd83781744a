from django.contrib import admin
from django.urls import include, path

from rooms.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("rooms/", include("rooms.urls")),
    path("rooms/", include("messaging.urls")),
    path("admin/", admin.site.urls),
]
