"""A tiny run of the whole benchmark, so that it cannot rot; no timing is asserted."""

import json

import pytest

from bench.__main__ import parse
from bench.suite import run

pytestmark = [pytest.mark.live, pytest.mark.redis, pytest.mark.timeout(180)]

TINY = [
    *("--topologies", "embedded", "--rooms", "2", "--members", "3"),
    *("--idle", "12", "--history", "300", "--catchup", "4", "--missed", "3"),
    *("--seconds", "0.5", "--start", "8", "--factor", "2", "--max-steps", "2", "--refine", "0"),
    *("--history-seconds", "0.5", "--history-concurrency", "2"),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("bench")
    run(parse([*TINY, "--out", str(out), "--name", "smoke"]), TINY)
    assert (out / "smoke.png").stat().st_size > 0
    return json.loads((out / "smoke.json").read_text())


def test_the_run_writes_every_section_for_every_server(results):
    assert set(results) == {"meta", "runs", "comparison", "targets"}
    assert set(results["runs"]) == {"parley embedded", "tutorial embedded", "bare"}
    assert set(results["runs"]["parley embedded"]) >= {"idle", "fanout", "history", "catchup"}
    assert set(results["runs"]["bare"]) >= {"idle", "fanout"}
    assert {"saturation_vs_tutorial", "saturation_vs_bare"} <= set(
        results["comparison"]["embedded"]
    )
    assert {target["target"] for target in results["targets"]} >= {
        "saturation vs tutorial",
        "saturation vs bare",
        "KiB per idle connection",
    }


@pytest.mark.parametrize("label", ["parley embedded", "tutorial embedded", "bare"])
def test_every_server_delivers_every_message_once_to_every_other_member(results, label):
    fanout = results["runs"][label]["fanout"]
    assert fanout["sent"] > 0
    assert fanout["delivered"] == fanout["sent"] * (fanout["members"] - 1)
    assert (fanout["lost"], fanout["duplicated"], fanout["misrouted"]) == (0, 0, 0)
    assert all({"deliveries_per_s", "latency_ms", "cpu_cores"} <= set(s) for s in fanout["steps"])


@pytest.mark.parametrize("label", ["parley embedded", "tutorial embedded", "bare"])
def test_every_idle_socket_opens_and_its_memory_is_read(results, label):
    idle = results["runs"][label]["idle"]
    assert idle["opened"] == idle["open_at_end"] == idle["sockets"]
    assert idle["rss_after_kib"] > 0
    assert "kib_per_connection" in idle


def test_parley_acknowledges_every_message_and_reports_no_error(results):
    fanout = results["runs"]["parley embedded"]["fanout"]
    assert fanout["unacknowledged"] == 0
    assert fanout["errors"] == 0


def test_parley_serves_the_long_history_without_errors(results):
    history = results["runs"]["parley embedded"]["history"]
    assert history["messages_in_room"] == 300
    assert history["requests"] > 0
    assert history["errors"] == history["short_pages"] == 0


def test_reconnecting_clients_catch_up_on_every_missed_message_once(results):
    catchup = results["runs"]["parley embedded"]["catchup"]
    assert catchup["caught_up"] == catchup["clients"] == 4
    assert (catchup["lost"], catchup["duplicated"], catchup["problems"]) == (0, 0, [])
