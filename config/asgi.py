"""ASGI entry point: HTTP goes to Django, websockets to the messaging routes."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Django must be set up before anything imports models, so the HTTP
# application is created before the websocket routes are imported.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.security import WebsocketOriginValidator  # noqa: E402
from messaging.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebsocketOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)

# Everything imported so far lives as long as the process: moving it out of the
# collector's view makes full collections scan only what requests and sockets
# create. Under load those collections were 115-140 ms pauses every few seconds,
# the p99 of every Django server measured (bench/README.md).
gc.collect()
gc.freeze()
