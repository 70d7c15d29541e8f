"""The pytest processes of a class run: each forked from the class's PytestServer (grader/pytest_server.py)
in a session of its own, waited for within a budget, and stopped together on Ctrl-C.

Ctrl-C: each pytest process leads its own session, so a terminal's SIGINT reaches only `grade`.
On KeyboardInterrupt, `grade` stops starting submissions (the queued futures are cancelled:
grader/classrun.py), and `PytestRuns.stop` sends SIGINT to each running pytest (which ends its
scenario: the sandbox is torn down by its own `finally`), then SIGTERM and SIGKILL to each one's
whole process group, each after its grace (grader/sandbox/lifecycle.py, INTERRUPT). The
sandboxes die with their driver: the local one by PR_SET_PDEATHSIG and --kill-child; what is
left (cgroups, containers) the class run has its backend sweep (`Sandbox.sweep`).
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from .outcome import Finished, PytestOutcome, Stopped, TimedOut
from .pytest_server import Forked, PytestServer
from .sandbox.lifecycle import INTERRUPT, KILL, Process, stop

GRADING_PLUGINS = ("grader.plugin", "pytest_timeout")  # grading.ini's `-p`, registered ahead (pytest_server.py)


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
        return self.run_forked(lambda: self.server.start(args, env, out.fileno(), Path.cwd(), lent, GRADING_PLUGINS),
                               budget)

    def run_forked(self, start: Callable[[], Forked], budget: float) -> PytestOutcome:
        """The run that `start` forks (from the server, or from a template: Template.start), and how it ended."""
        with self._lock:
            if self._stopping:
                return Stopped()
            proc = start()
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
        """Start nothing more; SIGINT every running pytest, SIGTERM after STOP_GRACE, then SIGKILL its group."""
        with self._lock:
            self._stopping = True
            procs = list(self._running.values())
        stop([Process(f"the pytest run {p.pid}", pid=p.pid, group=True) for p in procs], INTERRUPT)
        for p in procs:
            p.wait()


def kill_group(proc: Forked) -> None:
    stop([Process(f"the pytest run {proc.pid}", pid=proc.pid, group=True)], KILL)
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

