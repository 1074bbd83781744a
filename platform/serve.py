"""Parley beyond one process: N ASGI workers behind nginx, on PostgreSQL and Redis.

Started by ``platform/serve`` (which first installs what is missing); see
platform/README.md. Migrates, collects static files, starts ``--task-workers``
task workers (``manage.py task_worker``) and the workers on
127.0.0.1:<port + 1>..., waits until each answers ``/healthz``, then starts
nginx in front of them on ``--port``. It restarts a worker or task worker that
exits (``kill -TERM <pid>`` is a graceful restart of one) and on Ctrl+C or
SIGTERM stops everything: workers close their websockets with 1012, task
workers finish the job in hand, then all exit.
"""

import argparse
import contextlib
import ctypes
import os
import resource
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
import psycopg
from psycopg import sql

PLATFORM_DIR = Path(__file__).resolve().parent
REPO_ROOT = PLATFORM_DIR.parent
BIN = Path(sys.executable).parent
NGINX = "/usr/sbin/nginx"
ASGI_APP = "config.asgi:application"
DEFAULTS = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/parley",
    # redis-py gives up on a read after 5 s by default, and channels_redis blocks
    # in BZPOPMIN for 5 s when a worker's sockets are quiet: the two race, and the
    # loser crashes a consumer. A longer socket timeout keeps them apart (README).
    "REDIS_URL": "redis://127.0.0.1:6379/0?socket_timeout=10",
    # Production settings (no query logging, no debug pages), served as plain
    # HTTP on the loopback: Secure-only cookies and the HTTPS redirect would
    # stop every log-in there. Behind a TLS proxy set SECURE_COOKIES=true and
    # SECURE_SSL_REDIRECT=true (see README, "DEBUG").
    "DEBUG": "false",
    "SECURE_COOKIES": "false",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_HSTS_SECONDS": "0",
    # Under ASGI every HTTP request runs in a thread of its own, and a connection
    # kept for reuse there is never reused but left open: with the settings'
    # default of 60 s a worker runs PostgreSQL out of connections within seconds
    # of load. 0 closes each at the end of its request (see README, "Database").
    "DATABASE_CONN_MAX_AGE": "0",
    # Workers check downloads and nginx sends the files (nginx.conf.template, /_attachments/).
    "PARLEY_ACCEL_REDIRECT": "true",
}
SERVERS = ("uvicorn", "daphne", "granian")
GRACE_SECONDS = 10  # a stopping worker's time to close its sockets and finish requests
START_TIMEOUT = 30.0
RESTART_DELAY = 1.0
PR_SET_PDEATHSIG = 1
MAX_FILES = 65536  # per nginx worker
# The settings' PARLEY_UPLOAD_MAX_BYTES, for callers that do not ask Django (the benchmark).
UPLOAD_MAX_BYTES = 25 * 1024 * 1024
# Room in an upload's request for the multipart framing around the file (attachments/views.py).
MULTIPART_OVERHEAD = 64 * 1024


class Stop(Exception):
    """Ctrl+C or SIGTERM arrived: unwind to the one place that stops everything."""


def worker_command(server: str, port: int) -> list[str]:
    """One worker on 127.0.0.1:<port>; platform/measure_servers.py measures these same lines."""
    if server == "uvicorn":
        return [
            str(BIN / "uvicorn"),
            ASGI_APP,
            *("--host", "127.0.0.1", "--port", str(port)),
            *("--loop", "uvloop", "--http", "httptools", "--ws", "websockets-sansio"),
            # Chat frames are small and go to many sockets: compressing them per
            # socket costs more CPU than it saves bytes (see README, measurements).
            *("--ws-per-message-deflate", "false", "--ws-max-size", str(1024 * 1024)),
            # Django's ASGI handler speaks no lifespan protocol.
            *("--lifespan", "off", "--no-access-log"),
            # nginx on the loopback is the one proxy whose X-Forwarded-* is trusted.
            *("--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"),
            *("--timeout-graceful-shutdown", str(GRACE_SECONDS)),
        ]
    if server == "daphne":
        return [
            str(BIN / "daphne"),
            *("-b", "127.0.0.1", "-p", str(port), "--proxy-headers"),
            ASGI_APP,
        ]
    if server == "granian":
        return [
            str(BIN / "granian"),
            *("--interface", "asginl", "--host", "127.0.0.1", "--port", str(port)),
            *("--workers", "1", "--loop", "uvloop", "--no-access-log"),
            ASGI_APP,
        ]
    raise ValueError(server)


def task_worker_command() -> list[str]:
    return [sys.executable, "manage.py", "task_worker"]


def _die_with_parent() -> None:
    # Runs in the child before exec: should serve itself be killed outright,
    # the kernel sends its children SIGTERM instead of leaving them running.
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def spawn(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    # A session of its own: Ctrl+C reaches serve alone, which then sends each
    # child exactly one SIGTERM (a second signal makes uvicorn skip its grace period).
    return subprocess.Popen(  # noqa: S603 (commands built from fixed paths above)
        command, cwd=REPO_ROOT, env=env, start_new_session=True, preexec_fn=_die_with_parent
    )


def say(text: str) -> None:
    print(f"[serve] {text}", flush=True)


def worker_env() -> dict[str, str]:
    env = {**DEFAULTS, **os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    if not env.get("SECRET_KEY"):
        # One key for every worker of this run, restarted ones included, so a
        # session signed by one worker is valid on all. Sessions end with the run:
        # set SECRET_KEY to keep them across runs.
        env["SECRET_KEY"] = secrets.token_urlsafe(50)
    if "postgres" not in dj_database_url.parse(env["DATABASE_URL"])["ENGINE"]:
        raise SystemExit("DATABASE_URL must point at PostgreSQL: workers share one database.")
    return env


def database_ensure(url: str) -> None:
    """Create the database named in ``url`` when the server does not have it yet."""
    config = dj_database_url.parse(url)
    admin_info = psycopg.conninfo.make_conninfo(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname="postgres",
        connect_timeout=5,
    )
    with psycopg.connect(admin_info, autocommit=True) as admin:
        exists = admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]
        ).fetchone()
        if exists:
            return
        say(f"creating database {config['NAME']}")
        # Another serve may create it in the meantime.
        with contextlib.suppress(psycopg.errors.DuplicateDatabase):
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))


def manage(*args: str, env: dict[str, str]) -> None:
    command = [sys.executable, "manage.py", *args]
    if subprocess.run(command, cwd=REPO_ROOT, env=env, check=False).returncode:  # noqa: S603
        raise SystemExit(f"manage.py {args[0]} failed")


def upload_settings(env: dict[str, str]) -> tuple[int, Path]:
    """PARLEY_UPLOAD_MAX_BYTES and MEDIA_ROOT as the workers' settings have them."""
    code = (
        "from django.conf import settings;"
        "print(settings.PARLEY_UPLOAD_MAX_BYTES); print(settings.MEDIA_ROOT)"
    )
    result = subprocess.run(  # noqa: S603 (a fixed command)
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    max_bytes, media_root = result.stdout.strip().splitlines()[-2:]
    return int(max_bytes), Path(media_root)


def nginx_config(
    *,
    listen: str,
    ports: list[int],
    run_dir: Path,
    static_root: Path,
    media_root: Path = REPO_ROOT / "media",
    upload_max_bytes: int = UPLOAD_MAX_BYTES,
) -> str:
    # As many connections as this process may open files (nginx cannot raise the hard limit).
    hard_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    max_files = MAX_FILES if hard_limit == resource.RLIM_INFINITY else min(MAX_FILES, hard_limit)
    values = {
        "user_directive": "user root;" if os.geteuid() == 0 else "",
        "max_files": str(max_files),
        "worker_connections": str(max_files - 64),  # a few left for listeners and logs
        "run_dir": str(run_dir),
        "listen": listen,
        "static_root": str(static_root),
        "media_root": str(media_root),
        "upload_body_max": str(upload_max_bytes + MULTIPART_OVERHEAD),
        "upstream_servers": "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in ports
        ),
    }
    text = (PLATFORM_DIR / "nginx.conf.template").read_text()
    for name, value in values.items():
        text = text.replace(f"{{{{ {name} }}}}", value)
    if "{{" in text:
        raise ValueError("nginx.conf.template names a value serve.py does not fill in")
    return text


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


@dataclass
class Worker:
    number: int
    port: int
    server: str
    env: dict[str, str]
    process: subprocess.Popen | None = None
    exited_at: float | None = None

    def start(self) -> None:
        self.process = spawn(worker_command(self.server, self.port), self.env)
        self.exited_at = None
        say(
            f"worker {self.number}: pid {self.process.pid} on http://127.0.0.1:{self.port} "
            f"({self.server})"
        )

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not healthy(self.port):
            if self.process.poll() is not None:
                raise SystemExit(f"worker {self.number} exited with {self.process.returncode}")
            if time.monotonic() > deadline:
                raise SystemExit(f"worker {self.number} is not healthy after {START_TIMEOUT}s")
            time.sleep(0.1)

    def supervise(self) -> None:
        restart_when_exited(self, f"worker {self.number}")


@dataclass
class TaskWorker:
    """One ``manage.py task_worker``: runs background jobs, beats, needs no port."""

    number: int
    env: dict[str, str]
    process: subprocess.Popen | None = None
    exited_at: float | None = None

    def start(self) -> None:
        self.process = spawn(task_worker_command(), self.env)
        self.exited_at = None
        say(f"task worker {self.number}: pid {self.process.pid}")

    def supervise(self) -> None:
        restart_when_exited(self, f"task worker {self.number}")


def restart_when_exited(worker: Worker | TaskWorker, name: str) -> None:
    """Start a worker again a moment after it exits (a crash, or a graceful restart)."""
    code = worker.process.poll()
    if code is None:
        return
    now = time.monotonic()
    if worker.exited_at is None:
        worker.exited_at = now
        how = f"stopped by {signal.Signals(-code).name}" if code < 0 else f"exited with {code}"
        say(f"{name} {how}; starting it again")
    elif now - worker.exited_at >= RESTART_DELAY:
        worker.start()


def stop(processes: list[subprocess.Popen], nginx: subprocess.Popen | None) -> None:
    """Workers get SIGTERM (they close websockets with 1012; task workers finish the job in
    hand, or leave it to be run again if it outlasts the grace period), nginx a graceful quit."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    if nginx is not None and nginx.poll() is None:
        # Stops listening at once, then waits for the proxied sockets the workers are closing.
        nginx.send_signal(signal.SIGQUIT)
    deadline = time.monotonic() + GRACE_SECONDS + 5
    for process in [*processes, *([nginx] if nginx else [])]:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"pid {process.pid} did not stop in time; killing it")
            process.kill()
            process.wait()


def serve(args: argparse.Namespace) -> None:
    # /healthz then fails while none of the task workers beats.
    env = {**worker_env(), "PARLEY_TASK_WORKERS": str(args.task_workers)}
    database_ensure(env["DATABASE_URL"])
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    upload_max_bytes, media_root = upload_settings(env)

    ports = [args.worker_port_base + n for n in range(args.workers)]
    workers = [Worker(n + 1, port, args.server, env) for n, port in enumerate(ports)]
    task_workers = [TaskWorker(n + 1, env) for n in range(args.task_workers)]
    nginx = None
    run_dir = Path(tempfile.mkdtemp(prefix="parley-serve-"))
    try:
        config = run_dir / "nginx.conf"
        config.write_text(
            nginx_config(
                listen=f"{args.host}:{args.port}",
                ports=ports,
                run_dir=run_dir,
                static_root=REPO_ROOT / "staticfiles",
                media_root=media_root,
                upload_max_bytes=upload_max_bytes,
            )
        )
        nginx_args = [NGINX, "-p", str(run_dir), "-c", str(config), "-e", "stderr"]
        if subprocess.run([*nginx_args, "-t", "-q"], check=False).returncode:  # noqa: S603
            raise SystemExit(f"nginx refused the generated configuration {config}")
        # Task workers first: a web worker answers /healthz only once one of them beats.
        for worker in [*task_workers, *workers]:
            worker.start()
        for worker in workers:
            worker.wait_healthy()
        nginx = spawn(nginx_args, env)
        say(
            f"Parley is serving on http://{args.host}:{args.port}/ "
            f"(nginx pid {nginx.pid} → {args.workers} {args.server} workers; "
            f"{args.task_workers} task workers). Stop with Ctrl+C."
        )
        while nginx.poll() is None:
            for worker in [*workers, *task_workers]:
                worker.supervise()
            time.sleep(0.2)
        raise SystemExit(f"nginx exited with {nginx.returncode}")
    finally:
        say("stopping")
        everyone = [*workers, *task_workers]
        stop([w.process for w in everyone if w.process is not None], nginx)
        shutil.rmtree(run_dir, ignore_errors=True)
        say("stopped")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="platform/serve", description="N ASGI workers behind nginx, on PostgreSQL and Redis."
    )
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--port", type=int, default=8080, help="nginx's port (default 8080)")
    parser.add_argument("--host", default="127.0.0.1", help="nginx's address (default 127.0.0.1)")
    parser.add_argument(
        "--worker-port-base",
        type=int,
        help="the first worker's port on 127.0.0.1, the next ones follow (default: --port + 1)",
    )
    parser.add_argument("--server", choices=SERVERS, default="uvicorn", help="(default uvicorn)")
    parser.add_argument(
        "--task-workers",
        type=int,
        default=1,
        help="processes running background jobs (manage.py task_worker; default 1)",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.task_workers < 0:
        parser.error("--task-workers cannot be negative")
    if args.worker_port_base is None:
        args.worker_port_base = args.port + 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def request_stop(signum: int, _frame: object) -> None:
        # Once is enough: further signals would interrupt the orderly stop.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    with contextlib.suppress(Stop):
        serve(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
