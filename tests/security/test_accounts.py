"""Attacks on accounts, sessions and origins, performed against a real daphne process.

Each test does what the attacker (or the careless admin) did; a regression
shows as the attack succeeding.
"""

import asyncio
import json
import re
import socketserver
import subprocess
import threading
from collections.abc import Iterator
from uuid import uuid4

import httpx
import pytest
import redis
import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chatclient.client import cookie_header, stored_messages, wait_until
from chatclient.server import BIN, REPO_ROOT, LiveServer, free_port
from tests.support.live_server import PASSWORD, RoomOfTwo

pytestmark = pytest.mark.live

ADMIN_NAME = "root"
ADMIN_PASSWORD = "root-password-for-the-attack-tests"
NEW_PASSWORD = "the-admin-chose-this-one"
CLOSE_WITHIN = 1.0  # seconds: the promise of B3
FRAME_TIMEOUT = 5.0
# A Redis index of its own, so a second process can reach the server's sockets.
REDIS_URL = "redis://127.0.0.1:6379/13"
# Real password hashes cost half a second each; these tests log in dozens of times.
FAST = {"FAST_PASSWORD_HASHING": "true"}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def manage(server: LiveServer, *args: str, env: dict[str, str] | None = None) -> str:
    """A management command in a process of its own, on the server's database and layer."""
    result = subprocess.run(
        [BIN / "python", "manage.py", *args],
        cwd=REPO_ROOT,
        env={**server.env(), **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def create_admins(server: LiveServer, *usernames: str) -> None:
    script = "from accounts.models import User\n" + "".join(
        f"User.objects.create_superuser({name!r}, {name + '@example.com'!r}, {ADMIN_PASSWORD!r})\n"
        for name in usernames
    )
    manage(server, "shell", "-c", script)


def client_from(server: LiveServer, source_address: str = "127.0.0.1") -> httpx.Client:
    """An HTTP client arriving from ``source_address`` (any 127.x address is this machine)."""
    return httpx.Client(
        base_url=server.base_url,
        trust_env=False,
        timeout=10,
        transport=httpx.HTTPTransport(local_address=source_address),
    )


def form_post(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    """GET the form for its CSRF token, then POST it, as a browser would."""
    form = client.get(path)
    token = CSRF_INPUT.search(form.text)
    assert token, f"{path} answered {form.status_code} without a form"
    return client.post(path, data={**data, "csrfmiddlewaretoken": token.group(1)})


def admin_login_attempt(client: httpx.Client, username: str, password: str) -> httpx.Response:
    return form_post(
        client,
        "/admin/login/?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
    )


def admin_login(server: LiveServer) -> httpx.Client:
    client = client_from(server)
    response = admin_login_attempt(client, ADMIN_NAME, ADMIN_PASSWORD)
    assert response.status_code == 302, response.text[:2000]
    return client


def user_id(admin: httpx.Client, username: str) -> int:
    """The user's id, found as an admin finds it: searching the admin's user list."""
    listing = admin.get("/admin/accounts/user/", params={"q": username})
    ids = set(re.findall(r'href="/admin/accounts/user/(\d+)/change/', listing.text))
    assert len(ids) == 1, listing.text[:2000]
    return int(ids.pop())


def room_socket(server: LiveServer, slug: str, client: httpx.Client | None, *, origin: str = ""):
    headers = {"Origin": origin or server.base_url}
    if client is not None:
        headers["Cookie"] = cookie_header(client)
    return websockets.connect(
        f"{server.ws_url}/ws/rooms/{slug}/", additional_headers=headers, open_timeout=FRAME_TIMEOUT
    )


async def history_of(socket) -> dict:
    async with asyncio.timeout(FRAME_TIMEOUT):
        frame = json.loads(await socket.recv())
    assert frame["type"] == "history", frame
    return frame


async def closed_within(socket, seconds: float) -> int | None:
    """The close code the server sent within ``seconds`` (frames before it are skipped)."""
    async with asyncio.timeout(seconds):
        try:
            while True:
                await socket.recv()
        except ConnectionClosed as closed:
            # None when the connection dropped without a close frame.
            return closed.rcvd.code if closed.rcvd else None


async def assert_cannot_post_any_more(server: LiveServer, room: RoomOfTwo, socket) -> None:
    """The closed socket takes no message, and the same cookie gets no new socket."""
    body = f"posted after the session ended {uuid4().hex}"
    with pytest.raises(ConnectionClosed):
        await socket.send(json.dumps({"type": "message.send", "body": body, "client_id": "late"}))
    async with room_socket(server, room.slug, room.member) as again:
        assert await closed_within(again, FRAME_TIMEOUT) == 4401
    assert body not in [message["body"] for message in stored_messages(room.owner, room.slug)]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[LiveServer]:
    """Daphne on SQLite and the in-memory layer, with an admin."""
    live = LiveServer(tmp_path_factory.mktemp("security-accounts"), extra_env=FAST).start()
    create_admins(live, ADMIN_NAME, "keeper", "warden")
    yield live
    live.stop()


@pytest.fixture(scope="module")
def server_on_redis(tmp_path_factory) -> Iterator[LiveServer]:
    """Daphne whose channel layer is Redis: another process's events reach its sockets."""
    store = redis.Redis.from_url(REDIS_URL)
    store.flushdb()
    live = LiveServer(
        tmp_path_factory.mktemp("security-redis"), redis_url=REDIS_URL, extra_env=FAST
    ).start()
    yield live
    live.stop()
    store.flushdb()
    store.close()


# --- B3, B12: sockets outlive the end of their session -------------------------------


async def test_an_admin_setting_the_password_closes_the_victims_socket_within_a_second(
    server, room_of_two
):
    room = room_of_two(server)
    admin = admin_login(server)
    victim_id = user_id(admin, room.member_name)
    async with room_socket(server, room.slug, room.member) as socket:
        await history_of(socket)

        response = form_post(
            admin,
            f"/admin/accounts/user/{victim_id}/password/",
            {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
        )
        assert response.status_code == 302, response.text[:2000]

        assert await closed_within(socket, CLOSE_WITHIN) == 4401
        await assert_cannot_post_any_more(server, room, socket)
    admin.close()


async def test_an_admin_deleting_the_user_closes_their_socket_within_a_second(server, room_of_two):
    room = room_of_two(server)
    admin = admin_login(server)
    victim_id = user_id(admin, room.member_name)
    async with room_socket(server, room.slug, room.member) as socket:
        await history_of(socket)

        response = form_post(admin, f"/admin/accounts/user/{victim_id}/delete/", {"post": "yes"})
        assert response.status_code == 302, response.text[:2000]

        assert await closed_within(socket, CLOSE_WITHIN) == 4401
        await assert_cannot_post_any_more(server, room, socket)
    admin.close()


@pytest.mark.redis
async def test_a_session_deleted_through_the_orm_closes_its_socket_within_a_second(
    server_on_redis, room_of_two
):
    room = room_of_two(server_on_redis)
    session_key = room.member.cookies["sessionid"]
    async with room_socket(server_on_redis, room.slug, room.member) as socket:
        await history_of(socket)

        script = (
            "from django.contrib.sessions.models import Session; "
            f"Session.objects.filter(session_key={session_key!r}).delete()"
        )
        await asyncio.to_thread(manage, server_on_redis, "shell", "-c", script)

        assert await closed_within(socket, CLOSE_WITHIN) == 4401
        await assert_cannot_post_any_more(server_on_redis, room, socket)


@pytest.mark.redis
async def test_a_password_set_in_a_shell_closes_the_users_socket_within_a_second(
    server_on_redis, room_of_two
):
    room = room_of_two(server_on_redis)
    async with room_socket(server_on_redis, room.slug, room.member) as socket:
        await history_of(socket)

        script = (
            "from accounts.models import User; "
            f"user = User.objects.get(username={room.member_name!r}); "
            f"user.set_password({NEW_PASSWORD!r}); user.save()"
        )
        await asyncio.to_thread(manage, server_on_redis, "shell", "-c", script)

        assert await closed_within(socket, CLOSE_WITHIN) == 4401
        await assert_cannot_post_any_more(server_on_redis, room, socket)


# --- B8: cross-site socket hijacking from another port or scheme of the same host -------


def inbox_socket(server: LiveServer, client: httpx.Client, *, origin: str):
    return websockets.connect(
        f"{server.ws_url}/ws/inbox/",
        additional_headers={"Origin": origin, "Cookie": cookie_header(client)},
        open_timeout=FRAME_TIMEOUT,
    )


@pytest.mark.parametrize("foreign", ["http://127.0.0.1:9999", "https://127.0.0.1:{port}"])
async def test_a_page_on_another_port_or_scheme_cannot_open_the_victims_sockets(
    server, room_of_two, foreign
):
    room = room_of_two(server)
    origin = foreign.format(port=server.port)

    with pytest.raises(InvalidStatus) as room_refused:
        await room_socket(server, room.slug, room.member, origin=origin)
    with pytest.raises(InvalidStatus) as inbox_refused:
        await inbox_socket(server, room.member, origin=origin)

    assert room_refused.value.response.status_code == 403
    assert inbox_refused.value.response.status_code == 403


async def test_the_sites_own_pages_still_open_both_sockets(server, room_of_two):
    room = room_of_two(server)

    async with room_socket(server, room.slug, room.member, origin=server.base_url) as socket:
        await history_of(socket)
    async with inbox_socket(server, room.member, origin=server.base_url) as inbox:
        await inbox.ping()


# --- B10: the admin's log-in page has no throttle -----------------------------------

LOCKED = "Too many failed login attempts"


def logged_in_to_admin(client: httpx.Client) -> bool:
    return client.get("/admin/").status_code == 200


def test_guessing_an_admins_password_stops_working_after_the_limit(server):
    attacker = client_from(server, "127.0.0.5")
    for _ in range(25):
        admin_login_attempt(attacker, "keeper", "guess")

    found = admin_login_attempt(attacker, "keeper", ADMIN_PASSWORD)

    assert found.status_code == 200
    assert LOCKED in found.text
    assert not logged_in_to_admin(attacker)
    attacker.close()


def test_spraying_passwords_from_one_ip_locks_that_ip_only(server):
    sprayer = client_from(server, "127.0.0.6")
    for n in range(10):
        admin_login_attempt(sprayer, f"admin{n}", "password123")

    from_the_sprayer = admin_login_attempt(sprayer, "warden", ADMIN_PASSWORD)
    elsewhere = client_from(server, "127.0.0.7")
    from_elsewhere = admin_login_attempt(elsewhere, "warden", ADMIN_PASSWORD)

    assert LOCKED in from_the_sprayer.text
    assert not logged_in_to_admin(sprayer)
    assert from_elsewhere.status_code == 302
    assert logged_in_to_admin(elsewhere)
    sprayer.close()
    elsewhere.close()


# --- B18: with DEBUG=false and no mail server, sign-up was an HTTP 500 -------------------


class SmtpStub(socketserver.ThreadingTCPServer):
    """Just enough SMTP to take mails: the recipients of each mail end up in ``received``."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, port: int) -> None:
        self.received: list[list[str]] = []
        super().__init__(("127.0.0.1", port), SmtpSession)


class SmtpSession(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 stub ESMTP")
        recipients: list[str] = []
        for raw in self.rfile:
            command = raw.decode(errors="replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in {"EHLO", "HELO"}:
                self.reply("250 stub")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                for line in self.rfile:
                    if line in {b".\r\n", b".\n"}:
                        break
                self.server.received.append(recipients)
                recipients = []
                self.reply("250 OK: queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture(scope="module")
def mail_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def production_server(tmp_path_factory, mail_port) -> Iterator[LiveServer]:
    """DEBUG=false, mail over SMTP to a port where nothing listens (yet)."""
    live = LiveServer(
        tmp_path_factory.mktemp("security-mail"),
        extra_env={
            "DEBUG": "false",
            "SECURE_COOKIES": "false",
            "SECURE_SSL_REDIRECT": "false",
            "WHITENOISE_USE_FINDERS": "true",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(mail_port),
            "PARLEY_MAIL_RETRY_DELAYS": "0.5,1,1,1,1,1",
        },
    ).start()
    yield live
    live.stop()


def sign_up_with_email(server: LiveServer, username: str) -> httpx.Response:
    client = client_from(server)
    response = form_post(
        client,
        "/accounts/signup/",
        {
            "username": username,
            "email": f"{username}@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )
    client.close()
    return response


def test_sign_up_succeeds_while_the_mail_server_is_down(production_server):
    username = f"newbie-{uuid4().hex[:8]}"

    response = sign_up_with_email(production_server, username)

    assert response.status_code == 302, response.text[:2000]
    assert response.headers["location"] == "/rooms/"
    script = (
        "from accounts.models import User; "
        f"print(User.objects.filter(username={username!r}).exists())"
    )
    assert manage(production_server, "shell", "-c", script).splitlines()[-1] == "True"
    log = production_server.log_tail(200)
    assert f"Mail to ['{username}@example.com'] not sent" in log
    assert "will retry" in log


async def test_a_mail_that_failed_is_delivered_once_the_mail_server_comes_up(
    production_server, mail_port
):
    address = f"late-{uuid4().hex[:8]}@example.com"
    response = sign_up_with_email(production_server, address.split("@")[0])
    assert response.status_code == 302, response.text[:2000]

    stub = SmtpStub(mail_port)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    try:
        await wait_until(lambda: [address] in stub.received, within=FRAME_TIMEOUT)
    finally:
        stub.shutdown()
        stub.server_close()
    assert "sent after" in production_server.log_tail(200)
