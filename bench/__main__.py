"""``python -m bench``: every scenario on every server, a table, JSON and a plot.

    python -m bench                      # the full run (about 12 minutes on 2 cores)
    python -m bench --quick              # everything smaller (about 4 minutes)
    python -m bench --topologies embedded --servers parley,bare --scenarios fanout

See bench/README.md for what is measured and how to read it.
"""

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from bench import report
from bench.suite import Options, run

QUICK = {
    "rooms": 4,
    "members": 10,
    "idle": 500,
    "history": 10_000,
    "catchup": 40,
    "missed": 50,
    "seconds": 2.0,
    "start": 100.0,
    "factor": 1.8,
    "max_steps": 10,
    "refine": 1,
    "history_seconds": 4.0,
}
CHOICES = {
    "topologies": ("embedded", "scaled"),
    "servers": ("parley", "tutorial", "bare"),
    "scenarios": ("idle", "fanout", "history", "catchup"),
}


def listing(name: str) -> type:
    def parse(text: str) -> tuple[str, ...]:
        chosen = tuple(item.strip() for item in text.split(",") if item.strip())
        unknown = set(chosen) - set(CHOICES[name])
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(f"choose from {','.join(CHOICES[name])}")
        return chosen

    return parse


def parse(argv: list[str]) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller numbers everywhere")
    parser.add_argument("--rooms", type=int, help="fan-out rooms (10)")
    parser.add_argument("--members", type=int, help="members of each room (50)")
    parser.add_argument("--idle", type=int, help="idle sockets (5000; 0 skips the scenario)")
    parser.add_argument(
        "--idle-rooms",
        choices=("own", "shared"),
        help="idle sockets in a room of each user's own (default), or in the fan-out rooms",
    )
    parser.add_argument("--history", type=int, help="messages in the history room (100000)")
    parser.add_argument("--catchup", type=int, help="clients reconnecting at once (200)")
    parser.add_argument("--missed", type=int, help="messages each of them missed (100)")
    parser.add_argument("--seconds", type=float, help="length of one fan-out step (4)")
    parser.add_argument("--start", type=float, help="deliveries/s of the first step (100)")
    parser.add_argument("--factor", type=float, help="rate growth from step to step (1.5)")
    parser.add_argument("--max-steps", type=int, help="fan-out steps at most (20)")
    parser.add_argument("--refine", type=int, help="bisection steps at the saturation (2)")
    parser.add_argument("--history-seconds", type=float, help="history load duration (10)")
    parser.add_argument("--history-concurrency", type=int, help="history clients (8)")
    parser.add_argument("--topologies", type=listing("topologies"), help="embedded,scaled")
    parser.add_argument("--servers", type=listing("servers"), help="parley,tutorial,bare")
    parser.add_argument(
        "--scenarios", type=listing("scenarios"), help="idle,fanout,history,catchup"
    )
    parser.add_argument(
        "--profile",
        type=float,
        help="also sample each server with py-spy during fan-out at this many deliveries/s",
    )
    parser.add_argument("--profile-seconds", type=float, help="length of that sample (15)")
    parser.add_argument("--workers", type=int, help="worker processes when scaled (2)")
    parser.add_argument("--worker-server", help="uvicorn, daphne or granian (uvicorn)")
    parser.add_argument("--out", type=Path, help="where results go (bench/results)")
    parser.add_argument("--name", help="file name of the results (default: the time)")
    args = parser.parse_args(argv)
    given = {
        f.name: getattr(args, f.name) for f in fields(Options) if getattr(args, f.name) is not None
    }
    if args.quick:
        given = {**QUICK, **given}
    options = Options(**given)
    if options.members < 2 or options.rooms < 1:
        parser.error("a room needs at least two members")
    return options


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    result = run(parse(argv), argv)
    print(report.tables(result))
    print("\nwritten: " + ", ".join(result["files"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
