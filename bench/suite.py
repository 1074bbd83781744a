"""One benchmark run: each server in each topology, a load generator process for each."""

import contextlib
import json
import os
import platform as host
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import population, report, servers
from bench.servers import REPO_ROOT, Target


@dataclass
class Options:
    rooms: int = 10
    members: int = 50
    idle: int = 5000
    idle_rooms: str = "own"  # or "shared": the fan-out rooms
    history: int = 100_000
    catchup: int = 200
    missed: int = 100
    seconds: float = 4.0  # per fan-out step
    start: float = 100.0  # deliveries/s of the first fan-out step
    factor: float = 1.5
    max_steps: int = 20
    refine: int = 2
    history_seconds: float = 10.0
    history_concurrency: int = 8
    topologies: tuple[str, ...] = ("embedded", "scaled")
    servers: tuple[str, ...] = ("parley", "tutorial", "bare")
    scenarios: tuple[str, ...] = ("idle", "fanout", "history", "catchup")
    profile: float = 0.0  # deliveries/s at which to sample the servers with py-spy; 0: never
    profile_seconds: float = 15.0
    workers: int = 2
    worker_server: str = "uvicorn"
    out: Path = REPO_ROOT / "bench" / "results"
    name: str = ""


def say(text: str) -> None:
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = Path("/proc/meminfo").read_text().split()[1]
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "kernel": host.release(),
        "python": host.python_version(),
        "load_average_at_start": os.getloadavg(),
    }


def revision() -> dict[str, Any]:
    """The commit measured, and the files outside bench/ and tests/ that differ from it."""

    def git(*args: str) -> str:
        done = subprocess.run(  # noqa: S603 - a fixed command
            ["git", *args],  # noqa: S607 - git from PATH, as a developer runs it
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip()

    changed = git("status", "--porcelain", "--", ".", ":!bench", ":!tests").splitlines()
    return {"commit": git("rev-parse", "--short", "HEAD"), "uncommitted": changed}


def raise_file_limit() -> None:
    """Servers started from here inherit it: thousands of idle sockets each hold a file."""
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (1 << 20, 1 << 20))


def scenario_options(options: Options, target: Target) -> dict[str, dict[str, Any]]:
    chosen = list(options.scenarios) + (["profile"] if options.profile else [])
    if target.server != "parley":  # no history endpoint, no catch-up in the baselines
        chosen = [name for name in chosen if name in {"idle", "fanout", "profile"}]
    every = {
        "idle": {"sockets": options.idle, "rooms": options.idle_rooms},
        "fanout": {
            "members": options.members,
            "seconds": options.seconds,
            "start": options.start,
            "factor": options.factor,
            "max_steps": options.max_steps,
            "refine": options.refine,
        },
        "history": {
            "seconds": options.history_seconds,
            "concurrency": options.history_concurrency,
        },
        "catchup": {"clients": options.catchup, "missed": options.missed},
        "profile": {
            "members": options.members,
            "rate": options.profile,
            "seconds": options.profile_seconds,
            "out": str(options.out),
            "name": options.name,
        },
    }
    return {name: every[name] for name in chosen if name != "idle" or options.idle > 0}


def load(target: Target, people: population.Population, options: Options, tmp: Path) -> dict:
    """Run the load generator in its own process against ``target``."""
    spec = {
        "label": target.label,
        "server": target.server,
        "base_url": target.base_url,
        "pids": target.pids,
        "backends": target.backends,
        "rooms": people.rooms,
        "own_rooms": people.own_rooms,
        "users": people.users,
        "history_room": people.history_room,
        "scenarios": scenario_options(options, target),
    }
    name = target.label.replace(" ", "-")
    spec_path, result_path = tmp / f"{name}.spec.json", tmp / f"{name}.result.json"
    spec_path.write_text(json.dumps(spec))
    command = [sys.executable, "-m", "bench.loadgen", str(spec_path), str(result_path)]
    subprocess.run(command, cwd=REPO_ROOT, check=True)  # noqa: S603 - a fixed command
    return json.loads(result_path.read_text())


def run_target(
    context: contextlib.AbstractContextManager[Target], options: Options, tmp: Path
) -> tuple[str, dict[str, Any]]:
    started = time.monotonic()
    with context as target:
        say(f"{target.label}: {target.description} at {target.base_url}")
        if target.server == "parley":
            people = population.sign_up(
                target.base_url,
                rooms=options.rooms,
                members=options.members,
                history_members=options.history_concurrency,
            )
            say(f"{target.label}: {options.members} users signed up, {options.rooms} rooms")
            if "history" in options.scenarios and options.history:
                population.history_insert(people, target.env, options.history)
                say(f"{target.label}: {people.history_room['count']:,} messages inserted")
        else:
            people = population.anonymous(rooms=options.rooms, members=options.members)
        setup = time.monotonic() - started
        try:
            results = load(target, people, options, tmp)
        finally:
            people.close()
        return target.label, {
            "server": target.server,
            "topology": target.topology,
            "description": target.description,
            "setup_seconds": round(setup, 1),
            "wall_seconds": round(time.monotonic() - started, 1),
            **results,
        }


Contexts = Iterator[tuple[str, str, contextlib.AbstractContextManager[Target]]]


def contexts(options: Options, tmp: Path) -> Contexts:
    """(server, topology, the context that starts it) for every server of the run."""
    scaled = {"workers": options.workers, "worker_server": options.worker_server}
    for topology in options.topologies:
        where = tmp / topology
        where.mkdir()
        if "parley" in options.servers:
            if topology == "embedded":
                yield "parley", topology, servers.parley_embedded(where)
            else:
                yield "parley", topology, servers.parley_scaled(where, **scaled)
        if "tutorial" in options.servers:
            yield "tutorial", topology, servers.tutorial(where, topology=topology, **scaled)
    if "bare" in options.servers:
        yield "bare", "embedded", servers.bare(tmp)


def run(options: Options, argv: list[str]) -> dict[str, Any]:
    """Every server and scenario; writes ``<name>.json`` and ``<name>.png`` into ``out``."""
    raise_file_limit()
    started = time.monotonic()
    now = datetime.now(UTC)
    code = revision()
    options.name = options.name or now.strftime("%Y%m%d-%H%M%S")
    options.out.mkdir(parents=True, exist_ok=True)
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        for server, topology, context in contexts(options, Path(tmp)):
            label = server if server == "bare" else f"{server} {topology}"
            try:
                label, result = run_target(context, options, Path(tmp))
            except Exception as error:  # a server that would not start: the others still run
                say(f"{label}: failed: {error}")
                result = {"server": server, "topology": topology, "error": str(error)[-3000:]}
            else:
                say(f"{label}: done in {result['wall_seconds']:.0f} s")
            runs[label] = result
    comparison = {t: report.compare(runs, t) for t in options.topologies}
    result = {
        "meta": {
            "date": now.strftime("%Y-%m-%d %H:%M UTC"),
            "command": " ".join(["python -m bench", *argv]),
            "machine": machine(),
            "code": code,
            # The code may have changed while the run went on (a commit, an edit): then it differs.
            "code_at_end": revision(),
            "options": {
                k: str(v) if isinstance(v, Path) else v for k, v in asdict(options).items()
            },
            "fanout_shape": f"{options.rooms}x{options.members}",
            "wall_seconds": round(time.monotonic() - started, 1),
            "load_average_at_end": os.getloadavg(),
        },
        "runs": runs,
        "comparison": comparison,
        "targets": report.targets(runs, comparison),
    }
    name = options.name
    (options.out / f"{name}.json").write_text(json.dumps(result, indent=1))
    report.plot(result, options.out / f"{name}.png")
    result["files"] = [str(options.out / f"{name}.json"), str(options.out / f"{name}.png")]
    return result
