"""Which pages may open Parley's websockets: the site's own origins only (B8)."""

import pytest
from channels.testing import WebsocketCommunicator

from config.asgi import application
from config.security import websocket_origin_allowed


def handshake(
    origin: str | None, *, host: str = "127.0.0.1:8000", scheme: str = "ws", **headers: str
) -> dict:
    raw = [(b"host", host.encode())]
    if origin is not None:
        raw.append((b"origin", origin.encode()))
    raw += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": raw}


@pytest.fixture
def behind_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def test_a_page_of_the_same_scheme_host_and_port_may_open_a_socket():
    assert websocket_origin_allowed(handshake("http://127.0.0.1:8000"))


def test_a_page_on_another_port_of_the_same_host_may_not():
    assert not websocket_origin_allowed(handshake("http://127.0.0.1:9999"))


def test_a_page_on_another_scheme_of_the_same_host_and_port_may_not():
    assert not websocket_origin_allowed(handshake("https://127.0.0.1:8000"))


def test_an_https_page_may_open_a_secure_socket():
    assert websocket_origin_allowed(handshake("https://127.0.0.1:8000", scheme="wss"))
    assert not websocket_origin_allowed(handshake("http://127.0.0.1:8000", scheme="wss"))


def test_the_schemes_default_port_matches_a_host_without_one():
    assert websocket_origin_allowed(handshake("http://localhost:80", host="localhost"))
    assert websocket_origin_allowed(
        handshake("https://localhost", host="localhost:443", scheme="wss")
    )
    assert not websocket_origin_allowed(handshake("http://localhost:8080", host="localhost"))


def test_host_names_compare_case_insensitively():
    assert websocket_origin_allowed(handshake("http://LOCALHOST:8000", host="localhost:8000"))


def test_a_handshake_without_an_origin_is_refused():
    # Browsers always send one; a client that omits it is not a page of this site.
    assert not websocket_origin_allowed(handshake(None))


@pytest.mark.parametrize("origin", ["null", "127.0.0.1:8000", "ftp://127.0.0.1:8000", "http://"])
def test_an_opaque_or_malformed_origin_is_refused(origin):
    assert not websocket_origin_allowed(handshake(origin))


def test_a_host_outside_allowed_hosts_is_refused_even_when_the_origin_matches_it(settings):
    # DNS rebinding: evil.example resolves to the server, so Origin and Host agree.
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    assert not websocket_origin_allowed(
        handshake("http://evil.example:8000", host="evil.example:8000")
    )


def test_behind_the_proxy_its_forwarded_scheme_decides(behind_proxy):
    secure = handshake("https://127.0.0.1:8000", x_forwarded_proto="https")
    downgraded = handshake("http://127.0.0.1:8000", x_forwarded_proto="https")

    assert websocket_origin_allowed(secure)
    assert not websocket_origin_allowed(downgraded)


def test_without_the_proxy_setting_a_forwarded_scheme_is_ignored():
    forged = handshake("https://127.0.0.1:8000", x_forwarded_proto="https")

    assert not websocket_origin_allowed(forged)


def test_csrf_trusted_origins_may_open_sockets_exactly(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://chat.example.com", "https://*.parley.example"]
    internal = {"host": "127.0.0.1:8000"}

    assert websocket_origin_allowed(handshake("https://chat.example.com", **internal))
    assert websocket_origin_allowed(handshake("https://eu.parley.example", **internal))
    assert not websocket_origin_allowed(handshake("http://chat.example.com", **internal))
    assert not websocket_origin_allowed(handshake("https://chat.example.com:8443", **internal))
    assert not websocket_origin_allowed(handshake("https://evilparley.example", **internal))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/rooms/lobby/", "/ws/inbox/"])
async def test_both_sockets_refuse_a_page_on_another_port_at_the_handshake(path):
    communicator = WebsocketCommunicator(
        application, path, headers=[(b"origin", b"http://127.0.0.1:9999"), (b"host", b"127.0.0.1")]
    )

    connected, code = await communicator.connect()

    # Closed before it was accepted, which the server answers with HTTP 403.
    assert (connected, code) == (False, 1000)
