"""A real Parley server (daphne or uvicorn in a subprocess) on 127.0.0.1, for tests and bench."""

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import redis
from psycopg import sql

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SECRET_KEY = "parley-live-test-key-not-a-secret"  # noqa: S105 - a local test server
START_TIMEOUT = 20.0
ASGI_APP = "config.asgi:application"
MIGRATE = [BIN / "python", "manage.py", "migrate", "--noinput"]
POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# The message and frame flood guards: people trip them, load generators should not.
SENDING_LIMITS = (
    "PARLEY_MESSAGE_BURST",
    "PARLEY_MESSAGE_RATE",
    "PARLEY_USER_MESSAGE_BURST",
    "PARLEY_USER_MESSAGE_RATE",
    "PARLEY_SOCKET_FRAME_BURST",
    "PARLEY_SOCKET_FRAME_RATE",
)


def sending_limits(*, burst: int, rate: int | None = None) -> dict[str, str]:
    """The flood guards' environment: ``burst`` messages or frames at once, then ``rate`` a
    second (``burst`` unless given), per room, per user and per socket alike."""
    per_second = burst if rate is None else rate
    return {name: str(burst if name.endswith("_BURST") else per_second) for name in SENDING_LIMITS}


def database_recreate(name: str) -> str:
    """An empty PostgreSQL database ``name`` on the local server; returns its URL."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"postgres://postgres@127.0.0.1:5432/{name}"


def database_drop(name: str) -> None:
    """Drop a throwaway database, ending the connections that still use it."""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def redis_flush(url: str) -> None:
    store = redis.Redis.from_url(url)
    try:
        store.flushdb()
    finally:
        store.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> list[int]:
    """``count`` consecutive ports on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        start = probe.getsockname()[1]
    for base in [*range(start, start + 200), *range(20000, 30000, 7)]:
        if base + count > 65535:
            continue
        sockets = []
        try:
            for port in range(base, base + count):
                sockets.append(socket.socket())
                sockets[-1].bind(("127.0.0.1", port))
            return list(range(base, base + count))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError(f"no {count} consecutive free ports")


@dataclass
class LiveServer:
    """One daphne process on 127.0.0.1; SQLite in ``tmp_dir`` unless given a database URL."""

    tmp_dir: Path
    database_url: str | None = None
    redis_url: str | None = None
    port: int = field(default_factory=free_port)
    extra_env: dict[str, str] = field(default_factory=dict)
    # "daphne" (bin/run) or "uvicorn" (a platform/serve.py worker).
    server: str = "daphne"
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
            # Every test signs people up; real hashing costs each sign-up and log-in
            # most of a second. Ignored by the settings when a test runs DEBUG off.
            FAST_PASSWORD_HASHING="true",  # noqa: S106 - a switch, not a password
            # Uploads (avatars, attachments) stay with the server's own files.
            MEDIA_ROOT=str(self.tmp_dir / "media"),
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        else:
            env["SQLITE_PATH"] = str(self.tmp_dir / "db.sqlite3")
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        env.update(self.extra_env)
        return env

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def start(self, *, migrate: bool = True) -> "LiveServer":
        """Migrate (unless told not to), start daphne and wait until its port answers."""
        with self.log_path.open("ab") as log:
            options = {"cwd": REPO_ROOT, "env": self.env(), "stdout": log, "stderr": log}
            if migrate:
                migrated = subprocess.run(MIGRATE, **options)  # noqa: S603 - a fixed command
                if migrated.returncode:
                    raise RuntimeError(f"migrate failed:\n{self.log_tail()}")
            if self.server == "uvicorn":
                address = ["--host", "127.0.0.1", "--port", str(self.port), "--lifespan", "off"]
                command = [BIN / "uvicorn", ASGI_APP, *address, "--ws", "websockets-sansio"]
            else:
                command = [BIN / "daphne", "-b", "127.0.0.1", "-p", str(self.port), ASGI_APP]
            self.process = subprocess.Popen(command, **options)  # noqa: S603 - fixed commands
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

    def kill(self) -> None:
        """End daphne with SIGKILL, as a crash would: no shutdown, sockets simply vanish."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def restart(self) -> "LiveServer":
        """A fresh daphne on the same port, database and environment (already migrated)."""
        self.kill()
        return self.start(migrate=False)
