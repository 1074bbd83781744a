"""``python -m bench.ack`` runs end to end (a few messages; no timing is asserted)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.live, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]


def test_the_acknowledgement_probe_measures_every_message():
    done = subprocess.run(
        [sys.executable, "-m", "bench.ack", "--messages", "5", "--gap", "0"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    line = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(
        r"send -> acknowledgement, 5 messages: p50 [\d.]+ ms, p90 [\d.]+ ms, "
        r"p99 [\d.]+ ms, min [\d.]+ ms",
        line,
    ), line
