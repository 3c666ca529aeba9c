"""The wall-time watchdog: one thread kills the process groups whose time has run out."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from nebula.jobs import execution
from nebula.jobs.execution import wall_time_limit


def _sleeper(seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(["sleep", str(seconds)], start_new_session=True)


def test_process_past_its_limit_is_killed() -> None:
    process = _sleeper(30)
    began = time.monotonic()

    with wall_time_limit(process.pid, 0.3) as timed_out:
        status = process.wait(timeout=10)

    assert status == -signal.SIGKILL
    assert timed_out.is_set()
    assert time.monotonic() - began < 5


def test_process_within_its_limit_is_left_alone() -> None:
    process = _sleeper(0.1)

    with wall_time_limit(process.pid, 30) as timed_out:
        status = process.wait(timeout=10)

    assert status == 0
    assert not timed_out.is_set()


def test_shorter_limit_set_later_fires_first() -> None:
    long_job = _sleeper(30)
    short_job = _sleeper(30)

    with wall_time_limit(long_job.pid, 20) as long_timed_out:
        with wall_time_limit(short_job.pid, 0.3) as short_timed_out:
            short_status = short_job.wait(timeout=10)
        assert long_job.poll() is None
        os.killpg(long_job.pid, signal.SIGKILL)
        long_job.wait(timeout=10)

    assert short_status == -signal.SIGKILL
    assert short_timed_out.is_set()
    assert not long_timed_out.is_set()


def test_ended_jobs_leave_no_deadlines_behind() -> None:
    for _ in range(500):
        with wall_time_limit(999_999, 3600):
            pass

    assert len(execution._watchdog._deadlines) < 200


def test_forked_child_gets_a_watchdog_of_its_own() -> None:
    parent_job = _sleeper(30)
    with wall_time_limit(parent_job.pid, 20):
        child = os.fork()
        if child == 0:
            # In the child: the parent's watch is not ours, and a new one still fires.
            code = 1
            try:
                own_job = _sleeper(30)
                with wall_time_limit(own_job.pid, 0.3) as timed_out:
                    status = own_job.wait(timeout=10)
                if status == -signal.SIGKILL and timed_out.is_set() and not execution._watchdog._watched:
                    code = 0
            finally:
                os._exit(code)
        _, child_status = os.waitpid(child, 0)
        assert parent_job.poll() is None
    os.killpg(parent_job.pid, signal.SIGKILL)
    parent_job.wait(timeout=10)

    assert os.waitstatus_to_exitcode(child_status) == 0
