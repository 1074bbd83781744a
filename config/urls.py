from django.contrib import admin
from django.urls import include, path

from accounts.forms import AdminLoginForm
from config.health import healthz
from messaging.views import mentions_view, search_view
from rooms.views import direct_view, home

# Failed admin log-ins count against the same limits as allauth's log-in page.
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("rooms/", include("rooms.urls")),
    path("rooms/", include("messaging.urls")),
    path("rooms/", include("attachments.urls")),
    path("dm/<str:username>/", direct_view, name="direct"),
    path("search/", search_view, name="search"),
    path("mentions/", mentions_view, name="mentions"),
    path("admin/", admin.site.urls),
]
