"""The load generator: one process of its own, driving one server through the scenarios.

    python -m bench.loadgen SPEC.json RESULT.json

``python -m bench`` writes the spec (where the server is, its processes, the signed-in
users and their session cookies, the rooms, which scenarios with which numbers) and reads
the result. Scenarios run in the spec's order; each one's result, or its error, is kept.
"""

import asyncio
import json
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from bench.scenarios import catchup, fanout, history, idle, profile
from bench.scenarios.common import Wire, pids_named, settle


def raise_file_limit() -> int:
    """As many open files as allowed: thousands of sockets each hold one."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1 << 20, 1 << 20))  # as root
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


async def run_scenario(name: str, spec: dict[str, Any], pids: dict[str, list[int]]) -> Any:
    wire = Wire(spec["server"], spec["base_url"])
    options = spec["scenarios"][name]
    rooms, users = spec["rooms"], spec["users"]
    if name == "fanout":
        return await fanout.run(wire, rooms, users, {**options, "label": spec["label"]}, pids)
    if name == "idle":
        return await idle.run(wire, rooms, spec["own_rooms"], users, options, pids)
    if name == "history":
        return await history.run(spec["base_url"], spec["history_room"], users, options)
    if name == "profile":
        return await profile.run(wire, rooms, users, {**options, "label": spec["label"]}, pids)
    if name == "catchup":
        return await catchup.run(spec["base_url"], rooms, users, options, pids)
    raise ValueError(f"no scenario {name!r}")


async def main_async(spec: dict[str, Any]) -> dict[str, Any]:
    pids = {name: list(group) for name, group in spec["pids"].items()}
    for backend in spec.get("backends", []):
        pids[backend] = pids_named({"redis": "redis-server", "postgres": "postgres"}[backend])
    results: dict[str, Any] = {}
    for name in spec["scenarios"]:
        # The previous scenario's sockets may still be closing on the server.
        await settle(pids.get("server", []))
        started = time.monotonic()
        try:
            results[name] = await run_scenario(name, spec, pids)
        except Exception as error:  # one broken scenario must not hide the others' numbers
            results[name] = {"error": f"{type(error).__name__}: {error}"}
            traceback.print_exc()
        results[name]["wall_seconds"] = round(time.monotonic() - started, 1)
        print(f"[loadgen] {spec['label']}: {name} done", file=sys.stderr, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    spec_path, result_path = argv or sys.argv[1:]
    spec = json.loads(Path(spec_path).read_text())
    raise_file_limit()
    try:
        import uvloop  # a faster loop when installed: more load from the same core
    except ImportError:
        runner = asyncio.run
    else:
        runner = uvloop.run
    results = runner(main_async(spec))
    Path(result_path).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
