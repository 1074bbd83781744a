from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.request import split_domain_port, validate_host


class ContentSecurityPolicyMiddleware:
    """Send ``settings.CONTENT_SECURITY_POLICY`` with every response that has none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin_tuple(origin: str) -> tuple[str, str, int] | None:
    """``(scheme, host, port)`` with the scheme's default port filled in; None if malformed."""
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return parts.scheme, parts.hostname.lower(), port or DEFAULT_PORTS[parts.scheme]


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin1")
    return None


def _request_origin(scope: dict[str, Any]) -> str | None:
    """The origin the browser addressed, from the handshake as Django reads a request's."""
    scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", "ws"), "http")
    # Only set when BEHIND_PROXY, that is when the proxy overwrites the header.
    if settings.SECURE_PROXY_SSL_HEADER:
        meta_name, secure_value = settings.SECURE_PROXY_SSL_HEADER
        header_name = meta_name.removeprefix("HTTP_").lower().replace("_", "-")
        forwarded = _header(scope, header_name.encode())
        if forwarded is not None:
            scheme = "https" if forwarded.split(",", 1)[0].strip() == secure_value else "http"
    host = None
    if settings.USE_X_FORWARDED_HOST:
        host = _header(scope, b"x-forwarded-host")
    host = host or _header(scope, b"host")
    if not host:
        return None
    domain, _port = split_domain_port(host)
    # The Host header is the client's to choose: a rebound DNS name must not pass as ours.
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    return f"{scheme}://{host}"


def _trusted(origin: tuple[str, str, int], pattern: str) -> bool:
    """One entry of CSRF_TRUSTED_ORIGINS, with Django's ``https://*.example.com`` subdomains."""
    wildcard = "://*." in pattern
    allowed = _origin_tuple(pattern.replace("://*.", "://", 1))
    if allowed is None:
        return False
    scheme, host, port = allowed
    if (origin[0], origin[2]) != (scheme, port):
        return False
    return origin[1] == host or (wildcard and origin[1].endswith("." + host))


def websocket_origin_allowed(scope: dict[str, Any]) -> bool:
    """Whether a websocket handshake comes from one of the site's own pages.

    Scheme, host and port must all match: a page on another port or scheme of the
    same host is another site, and its script must not use the victim's cookie.
    A handshake without an Origin is refused too: every browser sends one, so only
    a non-browser client would omit it, and none of Parley's needs to.
    """
    origin_header = _header(scope, b"origin")
    origin = _origin_tuple(origin_header) if origin_header else None
    if origin is None:
        return False
    own = _request_origin(scope)
    if own is not None and _origin_tuple(own) == origin:
        return True
    return any(_trusted(origin, pattern) for pattern in settings.CSRF_TRUSTED_ORIGINS)


class WebsocketOriginValidator:
    """Refuse (403 at the handshake) websockets opened by another site's pages."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "websocket" and not websocket_origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
