"""The scale-out topology for real: ``platform/serve.py`` with uvicorn workers behind nginx."""

import asyncio
import contextlib
import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
import websockets

from chatclient.server import REPO_ROOT, free_ports, sending_limits
from tests.support import IN_CI
from tests.support.wire import FRAME_TIMEOUT, next_frame

NGINX = Path("/usr/sbin/nginx")
SERVE = REPO_ROOT / "platform" / "serve.py"
DATABASE = "parley_platform_test"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
# socket_timeout: see the REDIS_URL default in platform/serve.py.
REDIS_URL = "redis://127.0.0.1:6379/13?socket_timeout=10"
START_TIMEOUT = 60.0  # a fresh database is migrated first
WORKER_LINE = re.compile(r"worker (\d+): pid (\d+) on http://127\.0\.0\.1:(\d+)")
TASK_WORKER_LINE = re.compile(r"task worker (\d+): pid (\d+)$", re.MULTILINE)


def serve_module() -> Any:
    """platform/serve.py, loaded by path: platform/ is deliberately not a package."""
    spec = importlib.util.spec_from_file_location("parley_platform_serve", SERVE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def require_nginx() -> None:
    if NGINX.exists():
        return
    reason = "nginx is not installed (bin/test installs it: apt-get install -y nginx)"
    if IN_CI:
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Topology:
    """A running ``platform/serve.py``: nginx on ``port``, worker N on ``port + N``."""

    workers: int
    log_path: Path
    port: int
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_url(self, number: int) -> str:
        return f"http://127.0.0.1:{self.port + number}"

    def worker_pid(self, number: int) -> int:
        """The pid serve last printed for worker ``number`` (it restarts workers that exit)."""
        pids = [int(pid) for n, pid, _ in WORKER_LINE.findall(self.log()) if int(n) == number]
        return pids[-1]

    def task_worker_pids(self, number: int) -> list[int]:
        """Every pid serve printed for task worker ``number``, the current one last."""
        return [int(pid) for n, pid in TASK_WORKER_LINE.findall(self.log()) if int(n) == number]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, env: dict[str, str]) -> "Topology":
        command = [sys.executable, str(SERVE), "--workers", str(self.workers)]
        command += ["--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT
        while "Parley is serving on" not in self.log():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"platform/serve.py did not come up:\n{self.log()[-4000:]}")
            time.sleep(0.1)
        return self

    def stop(self) -> int | None:
        """SIGTERM, as systemd or Ctrl+C would; returns serve's exit code."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def serve_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SQLITE_PATH", "DEBUG"}}
    env.update(
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        PYTHONUNBUFFERED="1",
        # The flood guards are tested elsewhere; here a client sends as fast as it likes.
        **sending_limits(burst=1000),
    )
    env.update(extra)
    return env


def topology_start(tmp_dir: Path, *, workers: int, **env: str) -> Topology:
    """``env``: settings for serve and its workers beyond serve_env()'s."""
    require_nginx()
    ports = free_ports(workers + 1)
    return Topology(workers, tmp_dir / "serve.log", ports[0]).start(serve_env(**env))


@dataclass
class Room:
    slug: str
    cookies: list[str]  # one Cookie header per member
    client: httpx.Client  # the owner, for the history endpoint

    def stored_messages(self) -> list[dict[str, Any]]:
        response = self.client.get(f"/rooms/{self.slug}/messages/?after=0&limit=100")
        assert response.status_code == 200, response.text[:2000]
        return response.json()["messages"]


def room_socket(base_url: str, slug: str, cookie: str, after: int | None = None) -> Any:
    query = "" if after is None else f"?after={after}"
    return websockets.connect(
        f"{base_url.replace('http://', 'ws://')}/ws/rooms/{slug}/{query}",
        additional_headers={"Origin": base_url, "Cookie": cookie},
        open_timeout=FRAME_TIMEOUT,
    )


@dataclass
class ReconnectingClient:
    """What the room page does: an outbox, acknowledgement by client_id, catch-up by id."""

    base_url: str
    slug: str
    cookie: str
    seen: dict[int, dict[str, Any]] = field(default_factory=dict)
    # The highest id that came through the room's stream (history and broadcasts).
    # Not the sender's own acknowledgements: those come straight back after the
    # commit and can overtake broadcasts of lower ids still on their way, which a
    # catch-up from the acknowledged id would then skip.
    last_streamed_id: int | None = None
    outbox: dict[str, str] = field(default_factory=dict)  # client_id -> body, unacknowledged
    acknowledged: dict[str, int] = field(default_factory=dict)  # client_id -> message id
    mine: set[str] = field(default_factory=set)  # client_ids this socket sent
    close_codes: list[int] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    socket: Any = None
    stopping: bool = False

    async def connect(self) -> None:
        after = self.last_streamed_id
        for _attempt in range(50):
            try:
                self.socket = await room_socket(self.base_url, self.slug, self.cookie, after)
                history = await next_frame(self.socket, "history")
                break
            except (OSError, websockets.WebSocketException, TimeoutError):
                await asyncio.sleep(0.1)  # the proxy may briefly have no worker to offer
        else:
            raise AssertionError("could not reconnect through nginx")
        for message in history["messages"]:
            self.remember(message, streamed=True)
        for client_id, body in list(self.outbox.items()):
            await self.transmit(client_id, body)

    def remember(self, message: dict[str, Any], *, streamed: bool) -> None:
        self.seen[message["id"]] = message
        if self.outbox.pop(message.get("client_id") or "", None) is not None:
            self.acknowledged[message["client_id"]] = message["id"]
        if streamed:
            self.last_streamed_id = max(self.last_streamed_id or 0, message["id"])

    async def transmit(self, client_id: str, body: str) -> None:
        frame = {"type": "message.send", "body": body, "client_id": client_id}
        # On a closed socket it stays in the outbox and goes again after the reconnect.
        with contextlib.suppress(websockets.ConnectionClosed):
            await self.socket.send(json.dumps(frame))

    async def send(self, body: str) -> None:
        client_id = uuid4().hex
        self.mine.add(client_id)
        self.outbox[client_id] = body
        await self.transmit(client_id, body)

    async def run(self) -> None:
        """Read frames until told to stop, reconnecting whenever the socket closes."""
        while True:
            try:
                async for text in self.socket:
                    frame = json.loads(text)
                    if frame["type"] == "message.new":
                        message = frame["message"]
                        self.remember(message, streamed=message["client_id"] not in self.mine)
                    elif frame["type"] == "error":
                        self.errors.append(frame)
            except websockets.ConnectionClosed:
                pass
            if self.stopping:
                return
            self.close_codes.append(self.socket.close_code)
            await self.connect()

    async def close(self) -> None:
        self.stopping = True
        await self.socket.close()
