"""A real Parley server (daphne in a subprocess) and the HTTP steps tests take against it."""

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET_KEY = "parley-live-test-key-not-a-secret"
PASSWORD = "correct-horse-battery"
START_TIMEOUT = 20.0
ASGI_APP = "config.asgi:application"
MIGRATE = [BIN / "python", "manage.py", "migrate", "--noinput"]
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """One daphne process on 127.0.0.1; SQLite in ``tmp_dir`` unless given a database URL."""

    tmp_dir: Path
    database_url: str | None = None
    redis_url: str | None = None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = field(default=None, init=False, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.tmp_dir / f"daphne-{self.port}.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
        env.update(
            DEBUG="true",
            SECRET_KEY=SECRET_KEY,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DJANGO_SETTINGS_MODULE="config.settings",
            PYTHONUNBUFFERED="1",
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        else:
            env["SQLITE_PATH"] = str(self.tmp_dir / "db.sqlite3")
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def start(self, *, migrate: bool = True) -> "LiveServer":
        """Migrate (unless told not to), start daphne and wait until its port answers."""
        with self.log_path.open("ab") as log:
            options = {"cwd": REPO_ROOT, "env": self.env(), "stdout": log, "stderr": log}
            if migrate and subprocess.run(MIGRATE, **options).returncode:
                raise RuntimeError(f"migrate failed:\n{self.log_tail()}")
            address = ["-b", "127.0.0.1", "-p", str(self.port)]
            self.process = subprocess.Popen([BIN / "daphne", *address, ASGI_APP], **options)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited early:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"daphne did not answer within {START_TIMEOUT}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _post(client: httpx.Client, path: str, data: dict[str, str]) -> httpx.Response:
    # The unmasked cookie value is a valid form token, as Django's own JavaScript recipe uses.
    return client.post(path, data={**data, "csrfmiddlewaretoken": client.cookies["csrftoken"]})


def signup(base_url: str, username: str, password: str) -> httpx.Client:
    """Sign up through allauth's real form; the client comes back logged in."""
    client = httpx.Client(base_url=base_url, timeout=10)
    form = client.get("/accounts/signup/")
    form.raise_for_status()
    token = CSRF_INPUT.search(form.text)
    assert token, "the signup form has no CSRF token"
    response = client.post(
        "/accounts/signup/",
        data={
            "username": username,
            "email": "",
            "password1": password,
            "password2": password,
            "csrfmiddlewaretoken": token.group(1),
        },
    )
    assert response.status_code == 302, response.text[:2000]
    assert response.headers["location"] == "/rooms/"
    return client


def create_room(client: httpx.Client, name: str) -> str:
    response = _post(client, "/rooms/new/", {"name": name, "description": ""})
    assert response.status_code == 302, response.text[:2000]
    match = re.fullmatch(r"/rooms/([-\w]+)/", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def join_room(client: httpx.Client, slug: str) -> None:
    response = _post(client, f"/rooms/{slug}/join/", {})
    assert response.status_code == 302, response.text[:2000]
    assert response.headers["location"] == f"/rooms/{slug}/"


def cookie_header(client: httpx.Client) -> str:
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in client.cookies.jar)


@dataclass
class RoomOfTwo:
    """A room on a live server with its owner and one other member, each logged in."""

    slug: str
    owner: httpx.Client
    member: httpx.Client
    owner_name: str
    member_name: str

    def close(self) -> None:
        self.owner.close()
        self.member.close()


def room_with_two_members(server: LiveServer) -> RoomOfTwo:
    tag = uuid4().hex[:8]
    owner_name, member_name = f"ada-{tag}", f"grace-{tag}"
    owner = signup(server.base_url, owner_name, PASSWORD)
    member = signup(server.base_url, member_name, PASSWORD)
    slug = create_room(owner, f"Test Room {tag}")
    join_room(member, slug)
    return RoomOfTwo(slug, owner, member, owner_name, member_name)
