"""Parley's code in a process of its own, configured by the environment given and nothing else."""

import os
import subprocess
import sys

from chatclient.server import REPO_ROOT


def run_configured(code: str | list[str], *, env: dict[str, str], timeout: float = 120) -> str:
    """Run Python ``code`` (or a command line) with the project's settings; returns its output.

    The caller's DATABASE_URL and REDIS_URL are dropped, so only ``env`` decides the backends.
    """
    command = code if isinstance(code, list) else [sys.executable, "-c", code]
    result = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=configured_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def configured_env(env: dict[str, str]) -> dict[str, str]:
    """This process's environment without its backends, plus the project's settings and ``env``."""
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return {**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
