"""platform/serve's task workers, supervised without nginx: started, restarted, stopped."""

import os
import signal
import sys
import time

import pytest

from tests.support.platform import serve_module
from tests.support.processes import configured_env, run_configured


@pytest.mark.live
def test_a_killed_task_worker_is_started_again_and_all_stop_on_sigterm(tmp_path):
    serve = serve_module()
    env = configured_env({"SQLITE_PATH": str(tmp_path / "db.sqlite3"), "PARLEY_TASK_WORKERS": "1"})
    run_configured([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], env=env)
    worker = serve.TaskWorker(1, env)
    worker.start()
    try:
        first = worker.process.pid
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while worker.process.pid == first:
            assert time.monotonic() < deadline, "the task worker was not started again"
            worker.supervise()
            time.sleep(0.05)
        second = worker.process

        time.sleep(1)  # started and beating, then asked to stop
        serve.stop([second], None)
    finally:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()

    assert second.returncode == 0
