"""The servers under test, each started on 127.0.0.1 for one part of the run and stopped again.

Parley embedded is ``chatclient.server.LiveServer``, as the tests run it (daphne, SQLite,
in-memory layer); Parley scaled is ``platform/serve`` itself (nginx and N workers on
PostgreSQL and Redis). The tutorial baseline runs the same way as Parley in each topology:
one daphne on SQLite, or N workers started with ``platform/serve.py``'s own command line
behind nginx configured from its own template. The bare server is one process in either
case: a broadcast across processes would need a bus, and then it would not be bare.
"""

import contextlib
import ctypes
import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from chatclient.server import (
    LiveServer,
    database_drop,
    database_recreate,
    free_ports,
    redis_flush,
    sending_limits,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVE = REPO_ROOT / "platform" / "serve"
PARLEY_DATABASE = "parley_bench"
TUTORIAL_DATABASE = "parley_bench_tutorial"
# Redis indexes of their own (the test suite uses 11 to 14); see platform/serve.py for the timeout.
PARLEY_REDIS_URL = "redis://127.0.0.1:6379/9?socket_timeout=10"
TUTORIAL_REDIS_URL = "redis://127.0.0.1:6379/10?socket_timeout=10"
TUTORIAL_APP = "bench.baselines.tutorial.asgi:application"
# Parley's flood guards are for people; the load generator is many people at once.
UNLIMITED = {
    **sending_limits(burst=1_000_000),
    "PARLEY_USER_FRAME_BURST": "1000000",
    "PARLEY_USER_FRAME_RATE": "1000000",
    "PARLEY_RATE_LIMIT_STRIKES": "1000000",
    "PARLEY_MAX_SOCKETS_PER_USER": "1000000",
    "PARLEY_ROOM_CREATE_LIMIT": "1000000",
    "LOG_LEVEL": "WARNING",
}
# Every Django server runs its production settings: DEBUG off (no query log, no
# debug pages), over plain HTTP on the loopback, as platform/serve runs them.
PRODUCTION = {
    "DEBUG": "false",
    "SECURE_COOKIES": "false",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_HSTS_SECONDS": "0",
}
START_TIMEOUT = 300.0  # platform/serve may first install dependencies and nginx
PR_SET_PDEATHSIG = 1


@dataclass
class Target:
    """A running server: where it answers and which processes are its own."""

    server: str  # parley, tutorial or bare
    topology: str  # embedded or scaled
    base_url: str
    pids: dict[str, list[int]]  # "server": the workers; "proxy": the nginx master
    env: dict[str, str] = field(default_factory=dict)  # for manage.py, when it has one
    backends: list[str] = field(default_factory=list)  # shared services it uses
    description: str = ""

    @property
    def label(self) -> str:
        return self.server if self.server == "bare" else f"{self.server} {self.topology}"


def _die_with_parent() -> None:
    # Should the benchmark itself be killed, its servers get SIGTERM rather than live on.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - fixed commands built here
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )


def stop(process: subprocess.Popen | None, timeout: float = 30.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for_port(port: int, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing answers on port {port}:\n{log.read_text()[-3000:]}")


def base_env(**extra: str) -> dict[str, str]:
    drop = {"DATABASE_URL", "REDIS_URL", "SQLITE_PATH", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(PYTHONUNBUFFERED="1", **extra)
    return env


def serve_module() -> ModuleType:
    """platform/serve.py, loaded by path: platform/ is deliberately not a package."""
    spec = importlib.util.spec_from_file_location("parley_platform_serve", SERVE.with_suffix(".py"))
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(SERVE.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SERVE.parent))
    return module


# ---------------------------------------------------------------------------
# Parley
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def parley_embedded(tmp: Path) -> Iterator[Target]:
    server = LiveServer(tmp, extra_env={**UNLIMITED, **PRODUCTION})
    server.start()
    try:
        yield Target(
            "parley",
            "embedded",
            server.base_url,
            {"server": [server.process.pid]},
            env=server.env(),
            description="daphne, SQLite, in-memory channel layer (chatclient/server.py)",
        )
    finally:
        server.stop()


@contextlib.contextmanager
def parley_scaled(tmp: Path, *, workers: int, worker_server: str) -> Iterator[Target]:
    database_drop(PARLEY_DATABASE)  # platform/serve creates and migrates it
    redis_flush(PARLEY_REDIS_URL)
    port = free_ports(workers + 1)[0]
    env = base_env(
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{PARLEY_DATABASE}",
        REDIS_URL=PARLEY_REDIS_URL,
        # Shared with the bench's own manage.py calls (the history room's bulk insert).
        SECRET_KEY="parley-bench-not-a-secret",  # noqa: S106 - a local benchmark server
        **UNLIMITED,
        **PRODUCTION,
    )
    log = tmp / "serve.log"
    command = [str(SERVE), "--workers", str(workers), "--port", str(port)]
    process = spawn([*command, "--server", worker_server], env, log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "Parley is serving on" not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"platform/serve did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        text = log.read_text(errors="replace")
        worker_pids = [int(pid) for pid in re.findall(r"worker \d+: pid (\d+)", text)]
        nginx = int(re.search(r"nginx pid (\d+)", text).group(1))
        yield Target(
            "parley",
            "scaled",
            f"http://127.0.0.1:{port}",
            {"server": worker_pids, "proxy": [nginx]},
            env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
            backends=["redis", "postgres"],
            description=(
                f"platform/serve --workers {workers} --server {worker_server}: "
                "nginx, PostgreSQL, Redis"
            ),
        )
    finally:
        stop(process, timeout=40)
        database_drop(PARLEY_DATABASE)
        redis_flush(PARLEY_REDIS_URL)


# ---------------------------------------------------------------------------
# Baselines
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def tutorial(tmp: Path, *, topology: str, workers: int, worker_server: str) -> Iterator[Target]:
    redis_flush(TUTORIAL_REDIS_URL)
    env = base_env(
        DJANGO_SETTINGS_MODULE="bench.baselines.tutorial.settings",
        REDIS_URL=TUTORIAL_REDIS_URL,
        **PRODUCTION,
    )
    if topology == "scaled":
        env["DATABASE_URL"] = database_recreate(TUTORIAL_DATABASE)
    else:
        env["SQLITE_PATH"] = str(tmp / "tutorial.sqlite3")
    log = tmp / "tutorial.log"
    migrate = [sys.executable, "-m", "django", "migrate", "--noinput", "-v", "0"]
    with log.open("ab") as out:
        subprocess.run(migrate, cwd=REPO_ROOT, env=env, stdout=out, stderr=out, check=True)  # noqa: S603
    processes: list[subprocess.Popen] = []
    run_dir = tmp / "tutorial-nginx"
    try:
        if topology == "embedded":
            port = free_ports(1)[0]
            command = [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), TUTORIAL_APP]
            processes.append(spawn(command, env, log))
            wait_for_port(port, processes[0], log)
            pids = {"server": [processes[0].pid]}
            description = "daphne, SQLite, channels-redis"
            backends = ["redis"]
        else:
            port, *worker_ports = free_ports(workers + 1)
            serve = serve_module()
            for worker_port in worker_ports:
                command = serve.worker_command(worker_server, worker_port)
                command = [TUTORIAL_APP if part == serve.ASGI_APP else part for part in command]
                processes.append(spawn(command, env, log))
            for worker_port, process in zip(worker_ports, processes, strict=True):
                wait_for_port(worker_port, process, log)
            run_dir.mkdir()
            config = run_dir / "nginx.conf"
            config.write_text(
                serve.nginx_config(
                    listen=f"127.0.0.1:{port}", ports=worker_ports, run_dir=run_dir, static_root=tmp
                )
            )
            nginx_command = [serve.NGINX, "-p", str(run_dir), "-c", str(config), "-e", "stderr"]
            nginx = spawn(nginx_command, env, log)
            processes.append(nginx)
            wait_for_port(port, nginx, log)
            pids = {
                "server": [p.pid for p in processes[:-1]],
                "proxy": [nginx.pid],
            }
            description = (
                f"{workers} {worker_server} workers behind nginx, PostgreSQL, channels-redis"
            )
            backends = ["redis", "postgres"]
        yield Target(
            "tutorial",
            topology,
            f"http://127.0.0.1:{port}",
            pids,
            backends=backends,
            description=description,
        )
    finally:
        for process in reversed(processes):
            stop(process)
        if topology == "scaled":
            database_drop(TUTORIAL_DATABASE)
        redis_flush(TUTORIAL_REDIS_URL)


@contextlib.contextmanager
def bare(tmp: Path) -> Iterator[Target]:
    port = free_ports(1)[0]
    log = tmp / "bare.log"
    command = [sys.executable, "-m", "bench.baselines.bare", "--port", str(port)]
    process = spawn(command, base_env(), log)
    try:
        wait_for_port(port, process, log)
        yield Target(
            "bare",
            "embedded",
            f"http://127.0.0.1:{port}",
            {"server": [process.pid]},
            description="websockets broadcast, one process, no auth, no database",
        )
    finally:
        stop(process)
