"""Turn the runs into ratios, targets, Markdown tables and a plot of latency against load."""

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

SATURATION_P99_MS = 250.0
TARGETS = {
    "saturation_vs_tutorial": 3.0,  # at least
    "saturation_vs_bare": 0.5,  # at least
    "half_saturation_p99_vs_bare": 2.0,  # at most
    "kib_per_idle_connection": 50.0,  # at most
    "idle_sockets_one_process": 10_000,  # at least
}


def p99_at(steps: list[dict[str, Any]], rate: float) -> float | None:
    """p99 (ms) at ``rate`` deliveries/s, interpolated log-log between the measured steps.

    Below the slowest step the slowest step's p99 stands in (latency is flat at light load);
    beyond the fastest step there is no answer.
    """
    points = sorted(
        (s["deliveries_per_s"], s["latency_ms"]["p99"])
        for s in steps
        if s["latency_ms"]["p99"] and s["deliveries_per_s"] > 0
    )
    if not points or rate <= 0 or rate > points[-1][0]:
        return None
    if rate <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if x0 <= rate <= x1:
            if x1 == x0:
                return max(y0, y1)
            share = (math.log(rate) - math.log(x0)) / (math.log(x1) - math.log(x0))
            return round(math.exp(math.log(y0) + share * (math.log(y1) - math.log(y0))), 2)
    return None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    value = numerator / denominator
    return round(value, 3 if value < 0.1 else 2)


def bound(numerator_beyond: bool, denominator_beyond: bool) -> str:
    """Whether a ratio of saturation points is exact or only a bound."""
    if numerator_beyond and denominator_beyond:
        return "unknown"
    if numerator_beyond:
        return "at least"
    if denominator_beyond:
        return "at most"
    return "exact"


def at_least_met(value: float | None, goal: float, bound_kind: str) -> bool | None:
    """Is ``value >= goal``, knowing that ``value`` may only be a bound?"""
    if value is None or bound_kind == "unknown":
        return None
    if value >= goal:
        return None if bound_kind == "at most" else True
    return None if bound_kind == "at least" else False


def compare(runs: dict[str, dict[str, Any]], topology: str) -> dict[str, Any]:
    """Parley in ``topology`` against the tutorial in the same topology and the bare server."""
    parley = runs.get(f"parley {topology}", {})
    tutorial = runs.get(f"tutorial {topology}", {})
    bare = runs.get("bare", {})

    def fanout(run: dict[str, Any]) -> dict[str, Any]:
        result = run.get("fanout", {})
        return result if "steps" in result else {}

    def idle(run: dict[str, Any]) -> dict[str, Any]:
        result = run.get("idle", {})
        return result if "kib_per_connection" in result else {}

    sat = {
        name: fanout(run).get("saturation_deliveries_per_s")
        for name, run in (("parley", parley), ("tutorial", tutorial), ("bare", bare))
    }
    # A server that held p99 on every step tried saturates somewhere beyond its figure.
    beyond = {
        name: bool(fanout(run)) and not fanout(run)["saturation_reached"]
        for name, run in (("parley", parley), ("tutorial", tutorial), ("bare", bare))
    }
    half = sat["parley"] / 2 if sat["parley"] else None
    at_half = {
        name: p99_at(fanout(run).get("steps", []), half) if half else None
        for name, run in (("parley", parley), ("tutorial", tutorial), ("bare", bare))
    }
    return {
        "saturation_deliveries_per_s": sat,
        "saturation_not_reached": [name for name, unreached in beyond.items() if unreached],
        "saturation_vs_tutorial": ratio(sat["parley"], sat["tutorial"]),
        "saturation_vs_tutorial_bound": bound(beyond["parley"], beyond["tutorial"]),
        "saturation_vs_bare": ratio(sat["parley"], sat["bare"]),
        "saturation_vs_bare_bound": bound(beyond["parley"], beyond["bare"]),
        "half_saturation_deliveries_per_s": half,
        "half_saturation_p99_ms": at_half,
        "half_saturation_p99_vs_bare": ratio(at_half["parley"], at_half["bare"]),
        "kib_per_idle_connection": {
            name: idle(run).get("kib_per_connection")
            for name, run in (("parley", parley), ("tutorial", tutorial), ("bare", bare))
        },
        "idle_memory_vs_tutorial": ratio(
            idle(parley).get("kib_per_connection"), idle(tutorial).get("kib_per_connection")
        ),
        "idle_memory_vs_bare": ratio(
            idle(parley).get("kib_per_connection"), idle(bare).get("kib_per_connection")
        ),
        "connects_per_s_vs_tutorial": ratio(
            idle(parley).get("connects_per_s"), idle(tutorial).get("connects_per_s")
        ),
        "connects_per_s_vs_bare": ratio(
            idle(parley).get("connects_per_s"), idle(bare).get("connects_per_s")
        ),
    }


def targets(runs: dict[str, dict[str, Any]], comparison: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue, per topology: the measured value and whether it holds."""
    rows = []

    def row(topology: str, name: str, value: Any, goal: str, met: bool | None) -> None:
        rows.append(
            {"topology": topology, "target": name, "value": value, "goal": goal, "met": met}
        )

    for topology, compared in comparison.items():
        for baseline in ("tutorial", "bare"):
            key = f"saturation_vs_{baseline}"
            goal = TARGETS[key]
            value, kind = compared[key], compared[f"{key}_bound"]
            shown = value if kind == "exact" or value is None else f"{kind} {value}"
            met = at_least_met(value, goal, kind)
            row(topology, f"saturation vs {baseline}", shown, f">= {goal}x", met)
        value = compared["half_saturation_p99_vs_bare"]
        goal = TARGETS["half_saturation_p99_vs_bare"]
        met = None if value is None else value <= goal
        row(topology, "p99 at half saturation vs bare", value, f"<= {goal}x", met)
        idle = runs.get(f"parley {topology}", {}).get("idle", {})
        value = idle.get("kib_per_connection")
        goal = TARGETS["kib_per_idle_connection"]
        met = None if value is None else value <= goal
        row(topology, "KiB per idle connection", value, f"<= {goal:g}", met)
        fanout = runs.get(f"parley {topology}", {}).get("fanout", {})
        if "steps" in fanout:
            faults = fanout["unacknowledged"] + fanout["misrouted"] + fanout["errors"]
            name = "every message stored (acknowledged) and in its room only"
            row(topology, name, faults, "0 faults", faults == 0)
    embedded_idle = runs.get("parley embedded", {}).get("idle", {})
    if "opened" in embedded_idle:
        held = embedded_idle["open_at_end"]
        need = TARGETS["idle_sockets_one_process"]
        met = held >= need if embedded_idle["sockets"] >= need else None
        row("embedded", "idle sockets held by one process", held, f">= {need:,}", met)
    return rows


# ---------------------------------------------------------------------------
# Markdown tables
# ---------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def _n(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}x" if value < 0.1 else f"{value:.2f}x"


def _bounded(value: float | None, kind: str) -> str:
    prefix = {"exact": "", "at least": ">= ", "at most": "<= ", "unknown": "? "}[kind]
    return prefix + _x(value)


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(" --- " for _ in head) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _section(
    title: str,
    runs: dict[str, dict[str, Any]],
    scenario: str,
    measured: str,
    head: list[str],
    cells: Callable[[dict[str, Any]], list[str]],
) -> list[str]:
    """A heading and a table: one row per run whose ``scenario`` measured (has ``measured``)."""
    rows = [
        [label, *cells(run[scenario])]
        for label, run in runs.items()
        if measured in (run.get(scenario) or {})
    ]
    return ["", f"### {title}", "", *_table(head, rows)]


def tables(report: dict[str, Any]) -> str:
    runs = report["runs"]
    out: list[str] = ["### Fan-out (send → arrival at every other member)", ""]
    rows = []
    for label, run in runs.items():
        f = run.get("fanout")
        if not f:
            continue
        if "steps" not in f:
            rows.append([label, f.get("error", "?"), *[""] * 10])
            continue
        at = f["saturation_latency_ms"] or {}
        peak = max((s["deliveries_per_s"] for s in f["steps"]), default=None)
        others = sorted(s["cpu_cores"].get("others", 0.0) for s in f["steps"])
        half = report["comparison"].get(run["topology"], {}).get("half_saturation_p99_ms", {})
        rows.append(
            [
                label,
                f"{f['rooms']}x{f['members']}",
                _n(f["saturation_deliveries_per_s"]) + ("" if f["saturation_reached"] else "+"),
                f"{_ms(at.get('p50'))} / {_ms(at.get('p95'))} / {_ms(at.get('p99'))}",
                _ms(half.get(run["server"])) if run["server"] in half else "-",
                _n(peak),
                _n(f["sent"]),
                _n(f["lost"]),
                _n(f["duplicated"]),
                _n(f["errors"]),
                "-" if f["unacknowledged"] is None else _n(f["unacknowledged"]),
                _n(others[len(others) // 2], 2) if others else "-",
            ]
        )
    out += _table(
        [
            "server",
            "roomsxmembers",
            "saturation deliveries/s (p99 < 250 ms)",
            "p50 / p95 / p99 ms there",
            "p99 ms at ½ Parley sat.",
            "peak deliveries/s",
            "messages",
            "lost",
            "dup.",
            "errors",
            "unacked",
            "other load, cores",
        ],
        rows,
    )
    out += _section(
        "Idle connections",
        runs,
        "idle",
        "opened",
        [
            "server",
            "open / asked",
            "connects/s",
            "handshake p99 ms",
            "RSS before MiB",
            "RSS after MiB",
            "KiB per connection",
            "nginx KiB/conn",
            "failures",
        ],
        lambda i: [
            f"{i['opened']:,} / {i['sockets']:,}",
            _n(i["connects_per_s"]),
            _ms(i["handshake_ms"]["p99"]),
            _n(i["rss_before_kib"] / 1024, 1),
            _n(i["rss_after_kib"] / 1024, 1),
            _n(i["kib_per_connection"], 1),
            _n(i.get("proxy_kib_per_connection"), 1),
            str(sum(i["failures"].values())),
        ],
    )
    out += _section(
        "History (`GET /rooms/<slug>/messages/`)",
        runs,
        "history",
        "requests",
        [
            "server",
            "messages in room",
            "concurrent",
            "requests/s",
            "p50 / p99 ms",
            "p99 latest / before=<id> ms",
            "errors",
        ],
        lambda h: [
            _n(h["messages_in_room"]),
            str(h["concurrency"]),
            _n(h["requests_per_s"], 1),
            f"{_ms(h['latency_ms']['p50'])} / {_ms(h['latency_ms']['p99'])}",
            f"{_ms(h['latest_ms']['p99'])} / {_ms(h['before_ms']['p99'])}",
            _n(h["errors"]),
        ],
    )
    out += _section(
        "Catch-up (`?after=`, everyone at once)",
        runs,
        "catchup",
        "clients",
        [
            "server",
            "caught up",
            "missed each",
            "all caught up s",
            "p50 / p99 ms",
            "messages/s",
            "lost",
            "dup.",
            "failed connects",
        ],
        lambda c: [
            f"{c['caught_up']} / {c['clients']}",
            str(c["missed_per_client"]),
            _n(c["seconds_all"], 2),
            f"{_ms(c['catch_up_ms']['p50'])} / {_ms(c['catch_up_ms']['p99'])}",
            _n(c["messages_per_s"]),
            _n(c["lost"]),
            _n(c["duplicated"]),
            _n(c["failed_connects"]),
        ],
    )
    out += ["", "### Parley as a ratio of the baselines", ""]
    rows = []
    for topology, c in report["comparison"].items():
        rows.append(
            [
                topology,
                _bounded(c["saturation_vs_tutorial"], c["saturation_vs_tutorial_bound"]),
                _bounded(c["saturation_vs_bare"], c["saturation_vs_bare_bound"]),
                _x(c["half_saturation_p99_vs_bare"]),
                _x(c["idle_memory_vs_tutorial"]),
                _x(c["idle_memory_vs_bare"]),
                _x(c["connects_per_s_vs_tutorial"]),
                _x(c["connects_per_s_vs_bare"]),
            ]
        )
    out += _table(
        [
            "topology",
            "saturation ÷ tutorial",
            "saturation ÷ bare",
            "p99 at ½ sat. ÷ bare",
            "KiB/conn ÷ tutorial",
            "KiB/conn ÷ bare",
            "connects/s ÷ tutorial",
            "connects/s ÷ bare",
        ],
        rows,
    )
    out += ["", "### Targets", ""]
    rows = [
        [
            t["target"],
            t["topology"],
            "-" if t["value"] is None else str(t["value"]),
            t["goal"],
            {True: "met", False: "**missed**", None: "not shown by this run"}[t["met"]],
        ]
        for t in report["targets"]
    ]
    out += _table(["target", "topology", "measured", "goal", ""], rows)
    return "\n".join(out)


def plot(report: dict[str, Any], path: Path) -> None:
    """p99 (solid) and p50 (dashed) latency against delivered load, one colour per server."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(11, 5.5), dpi=110)
    for label, run in report["runs"].items():
        steps = run.get("fanout", {}).get("steps")
        if not steps:
            continue
        steps = sorted(steps, key=lambda s: s["deliveries_per_s"])
        x = [s["deliveries_per_s"] for s in steps]
        (line,) = axes.plot(
            x, [s["latency_ms"]["p99"] for s in steps], marker="o", label=f"{label} p99"
        )
        axes.plot(
            x, [s["latency_ms"]["p50"] for s in steps], linestyle="--", color=line.get_color()
        )
    axes.axhline(SATURATION_P99_MS, color="grey", linewidth=0.8, linestyle=":")
    axes.text(
        0.01,
        SATURATION_P99_MS * 1.08,
        "p99 250 ms",
        color="grey",
        fontsize=8,
        transform=axes.get_yaxis_transform(),
    )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("deliveries per second (messages x receivers)")
    axes.set_ylabel("send → delivery latency, ms (p99 solid, p50 dashed)")
    meta = report["meta"]
    axes.set_title(f"Fan-out, {meta['fanout_shape']} sockets — {meta['date']}", fontsize=10)
    axes.grid(True, which="both", linewidth=0.3)
    axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
