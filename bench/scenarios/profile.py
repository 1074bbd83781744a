"""Profile: the server's processes sampled with py-spy during fan-out at one fixed rate.

Not part of the default run (``python -m bench --profile RATE``). Each server process gets a
``py-spy record`` for the length of one fan-out step at ``rate`` deliveries per second; the
collapsed stacks are written next to the results (open them in https://www.speedscope.app
or any flame graph tool) and the hottest frames are summarised in the JSON.
"""

import asyncio
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from bench.scenarios.common import Wire
from bench.scenarios.fanout import FanOut

SAMPLES_PER_SECOND = 100
TOP = 25


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise RuntimeError("py-spy is not installed: pip install py-spy")
    return found


def frame_name(frame: str) -> str:
    """``function (path/to/module.py:123)`` -> ``function (module.py)``: lines merged."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit('/', 1)[-1].split(':')[0]})" if where else name


def summarise(path: Path) -> dict[str, Any]:
    """The frames that hold the most samples: on top of the stack (self) and anywhere (total)."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        samples = int(count)
        total += samples
        frames = [frame_name(frame) for frame in stack.split(";")]
        own[frames[-1]] += samples
        for frame in set(frames):
            anywhere[frame] += samples

    def share(counter: Counter[str]) -> list[list[Any]]:
        return [[frame, round(n / total, 3)] for frame, n in counter.most_common(TOP)]

    return {"samples": total, "self": share(own), "total": share(anywhere)}


async def run(
    wire: Wire, rooms: list[str], users: list[dict], options: dict, pids: dict
) -> dict[str, Any]:
    rate, seconds = options["rate"], options["seconds"]
    out = Path(options["out"])
    fan = FanOut(wire, rooms, users, {**options, "max_steps": 1, "refine": 0}, pids)
    await fan.prepare()
    records = {}
    for pid in pids.get("server", []):
        path = out / f"{options['name']}-{options['label'].replace(' ', '-')}-{pid}.txt"
        command = [py_spy(), "record", "--pid", str(pid), "--format", "raw", "--output", str(path)]
        command += ["--duration", str(round(seconds)), "--rate", str(SAMPLES_PER_SECOND)]
        spy = await asyncio.create_subprocess_exec(
            *command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
        )
        records[pid] = (spy, path)
    step = await fan.run_step(rate / (fan.members - 1))
    for spy, _ in records.values():
        await spy.wait()
    await fan.finish([step])
    return {
        "step": step.summary(),
        "processes": {
            str(pid): {"file": str(path), **summarise(path)} for pid, (_, path) in records.items()
        },
    }
