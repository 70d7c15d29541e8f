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
import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from .outcome import Finished, PytestOutcome, Stopped, TimedOut
from .pytest_server import Forked, PytestServer, Template
from .sandbox.base import SHARED_ENV
from .sandbox.lifecycle import INTERRUPT, KILL, Process, stop

GRADING_PLUGINS = ("grader.plugin", "pytest_timeout")  # grading.ini's `-p`, registered ahead (pytest_server.py)
TEMPLATE_READY_WITHIN = 120.0  # seconds for a template to configure and collect (its runs are then started plainly)


class PytestRuns:
    """The running pytest processes of a class run, and stopping them all. `templates`: the runs
    that grade a submission in full are forked from one session that configured pytest and
    collected the lab once (pytest_server.Template); LABGRADE_TEMPLATE=0: each collects its own."""

    def __init__(self, server: PytestServer, templates: bool = False) -> None:
        self.server = server
        self._lock = threading.Lock()
        self._running: dict[int, Forked] = {}
        self._stopping = False
        self.template: Template | None = None
        self._template_lock = threading.Lock()
        self._templates = templates and os.environ.get("LABGRADE_TEMPLATE", "1") != "0"

    def grade(self, args: list[str], submission: Path, results: Path, out: IO[bytes], env: dict[str, str],
              budget: float, lent: int | None, whole: bool) -> PytestOutcome:
        """The run of pytest ARGS that grades `submission` (in full if `whole`), writing its results to `results`."""
        template = self._template_for(args, env) if whole else None
        if template is None:
            return self.run([f"--submission={submission}", f"--labgrade-results={results}", *args], out, env, budget,
                            lent)
        return self.run_forked(lambda: template.start(submission, results, env, out.fileno(), Path.cwd(), lent), budget)

    def _template_for(self, args: list[str], env: dict[str, str]) -> Template | None:
        """The template of the runs of pytest ARGS (started by the first), or None: they are not the
        first's, or it could not start."""
        with self._template_lock:
            if self._templates and self.template is None:
                self._templates = False  # one attempt per class run
                alone = {k: v for k, v in env.items() if k != SHARED_ENV}  # each run is lent its own sandbox
                template = Template(self.server, args, alone, Path.cwd(), GRADING_PLUGINS, TEMPLATE_READY_WITHIN)
                self.template = template if template.usable else None
            return self.template if self.template is not None and self.template.args == args else None

    def close(self) -> None:
        if self.template is not None:
            self.template.close()

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

