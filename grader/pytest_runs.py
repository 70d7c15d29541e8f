"""The pytest processes of a class run: each forked from the class's PytestServer (grader/pytest_server.py)
in a session of its own, waited for within a budget, and stopped together on Ctrl-C.

Ctrl-C: each pytest process leads its own session, so a terminal's SIGINT reaches only `grade`.
On KeyboardInterrupt, `grade` stops starting submissions (the queued futures are cancelled:
grader/classrun.py), and `PytestRuns.stop` sends SIGINT to each running pytest (which ends its
scenario: the sandbox is torn down by its own `finally`), waits for them STOP_GRACE seconds at
most, then SIGKILLs each one's whole process group (the sandboxes die with their driver: the
local one by PR_SET_PDEATHSIG and --kill-child, its cgroups swept by the class run by the run
id in their names; the docker one by its labels, swept by the class run).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .outcome import Finished, PytestOutcome, Stopped, TimedOut
from .pytest_server import Forked, PytestServer

GRADING_PLUGINS = ("grader.plugin", "pytest_timeout")  # grading.ini's `-p`, registered ahead (pytest_server.py)
STOP_GRACE = 5.0  # seconds a pytest run gets to tear its sandbox down after SIGINT, before SIGKILL


class PytestRuns:
    """The running pytest processes of a class run, and stopping them all."""

    def __init__(self, server: PytestServer) -> None:
        self.server = server
        self._lock = threading.Lock()
        self._running: dict[int, Forked] = {}
        self._stopping = False

    def run(self, args: list[str], out: IO[bytes], env: dict[str, str], budget: float,
            lent: int | None = None) -> PytestOutcome:
        """Run pytest in its own session, and say how it ended."""
        with self._lock:
            if self._stopping:
                return Stopped()
            proc = self.server.start(args, env, out.fileno(), Path.cwd(), lent, GRADING_PLUGINS)
            self._running[proc.pid] = proc
        try:
            try:
                rc: int = proc.wait(timeout=budget)
            except subprocess.TimeoutExpired:
                kill_group(proc)
                return TimedOut()
        finally:
            with self._lock:
                self._running.pop(proc.pid, None)
                stopped = self._stopping
        return Stopped() if stopped and rc not in (0, 1) else Finished(rc)

    def stop(self) -> None:
        """Start nothing more; SIGINT every running pytest, then SIGKILL its group after STOP_GRACE."""
        with self._lock:
            self._stopping = True
            procs = list(self._running.values())
        with contextlib.ExitStack() as stack:
            pidfds = {}
            for p in procs:
                with contextlib.suppress(OSError):
                    fd = os.pidfd_open(p.pid)  # watched without reaping: its pid stays its group's id
                    stack.callback(os.close, fd)
                    pidfds[fd] = p
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p.pid, signal.SIGINT)
            deadline = time.monotonic() + STOP_GRACE
            waiting = set(pidfds)
            while waiting and (left := deadline - time.monotonic()) > 0:
                ready, _, _ = select.select(list(waiting), [], [], left)
                waiting -= set(ready)
            for p in procs:
                kill_group(p)


def kill_group(proc: Forked) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """A second Ctrl-C must not cut the stop short (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)

