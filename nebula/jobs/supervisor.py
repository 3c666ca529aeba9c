"""The job handler of `nebula serve` as a child process: started, restarted, stopped.

In the web process, the handler's threads took the interpreter lock from the request
threads. A request that held SQLite's write turn then waited for the lock, so at a
thousand users it held the turn twice as long as its own work took. In a process of its
own the handler has its own interpreter and CPU, and the two processes take turns to
write through nebula.model.database.WriterLock.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

logger = logging.getLogger(__name__)

STOP_TIMEOUT = 20.0
READY_TIMEOUT = 120.0
# Seconds before a handler that died is started again, so that one that fails at once
# does not spin. The delay doubles for each quick failure, up to MAX_RESTART_DELAY.
RESTART_DELAY = 2.0
MAX_RESTART_DELAY = 60.0


class HandlerFailed(Exception):
    """The handler process ended before it was ready."""


class HandlerProcess:
    """Runs `nebula handler` as a child of this process until stop(), restarting it if it dies."""

    def __init__(self, config: Path | None = None) -> None:
        self._command = [sys.executable, "-m", "nebula.cli", "handler"]
        if config is not None:
            self._command += ["--config", str(config)]
        self._command += ["--exit-with-parent", str(os.getpid())]
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher = threading.Thread(target=self._watch, name="handler-watcher", daemon=True)

    @property
    def pid(self) -> int | None:
        with self._lock:
            return self._process.pid if self._process is not None else None

    def start(self, ready: Path | None = None, timeout: float = READY_TIMEOUT) -> None:
        """Start the handler and, with `ready`, wait until that path exists.

        The handler binds `ready` once it has recovered its jobs, so serve takes requests
        only after that. Raises HandlerFailed when the handler ends before it is ready.
        """
        self._spawn()
        if ready is not None:
            self._wait_until_ready(ready, timeout)
        self._watcher.start()

    def _wait_until_ready(self, ready: Path, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        process = self._process
        assert process is not None
        while not ready.exists():
            if process.poll() is not None:
                raise HandlerFailed(
                    f"the job handler (process {process.pid}) exited with status "
                    f"{process.returncode} before it was ready; see its messages above"
                )
            if time.monotonic() > deadline:
                logger.warning(
                    "job handler %s not ready after %g s; serving without waiting for it",
                    process.pid,
                    timeout,
                )
                return
            time.sleep(0.05)

    def stop(self) -> None:
        """Ask the handler to stop (it hands its jobs back to the queue), and wait for it."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            logger.warning(
                "job handler %s did not stop within %g s; killing it", process.pid, STOP_TIMEOUT
            )
            process.kill()
            process.wait()

    def _spawn(self) -> None:
        with self._lock:
            # stop() may have come between the watcher's check and here.
            if self._stopping.is_set():
                return
            # Its output goes where this process's goes, so the log shows both. In a session
            # of its own, a Ctrl-C or a signal to serve's process group reaches serve only,
            # which then stops the handler itself.
            self._process = subprocess.Popen(
                self._command, stdin=subprocess.DEVNULL, start_new_session=True
            )
        logger.info("job handler started in process %s", self._process.pid)

    def _watch(self) -> None:
        delay = RESTART_DELAY / 2
        while not self._stopping.is_set():
            with self._lock:
                process = self._process
            if process is None:
                return
            started = time.monotonic()
            code = process.wait()
            if self._stopping.is_set():
                return
            if code == 0:
                # Stopped by a signal from elsewhere (an operator's SIGTERM): not a crash.
                logger.warning(
                    "job handler process %s stopped; serve runs on without a job handler",
                    process.pid,
                )
                return
            # A handler that fails again soon after its start waits longer each time.
            if time.monotonic() - started > MAX_RESTART_DELAY:
                delay = RESTART_DELAY
            else:
                delay = min(delay * 2, MAX_RESTART_DELAY)
            logger.error(
                "job handler process %s exited with status %s; starting another in %g s",
                process.pid,
                code,
                delay,
            )
            if self._stopping.wait(delay):
                return
            self._spawn()
