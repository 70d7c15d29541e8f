"""A class run on the console: its opening lines, a progress bar (or a line per submission), and the run itself."""

from __future__ import annotations

import argparse
import threading
import time
from pathlib import Path

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.text import Text

from ..assignment import Assignment
from ..cache import ResultCache
from ..classrun import Graded, grade_class
from ..driver.runner import SETTLE_CPU, SETTLE_CPU_UP
from ..i18n import _, numeral
from ..results import ClassResult
from ..sandbox import Sandbox, open_backend
from ..text import visible
from ..ungraded import needs_attention
from .common import console


def _duration(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


class _StateColumn(ProgressColumn):
    def __init__(self, progress: ClassProgress) -> None:
        super().__init__()
        self.progress = progress

    def render(self, task: Task) -> Text:
        return Text(self.progress.state())


class ClassProgress:
    """Submissions done, running and failed (not graded, or a grader error: see needs_attention),
    and the time left (the finish the pace so far projects, minus now): a live bar on a
    terminal, and a plain line per finished submission elsewhere (CI logs get no escape codes)."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.running, self.failed = total, 0, 0, 0
        self.started_at = time.monotonic()
        self.projected_end: float | None = None
        self.lock = threading.Lock()
        self.live = console.is_terminal
        self.bar = Progress(TextColumn(escape(_("grading"))), BarColumn(), MofNCompleteColumn(), _StateColumn(self),
                            TimeElapsedColumn(), console=console, transient=True, disable=not self.live)
        self.task = self.bar.add_task("grading", total=total)

    def state(self) -> str:
        if self.projected_end is not None and self.done < self.total:
            left = _duration(max(0.0, self.projected_end - time.monotonic()))
            return _("{running} running, {failed} failed, ~{left} left").format(running=self.running,
                                                                                 failed=self.failed, left=left)
        return _("{running} running, {failed} failed").format(running=self.running, failed=self.failed)

    def on_start(self, name: str) -> None:
        with self.lock:
            self.running += 1

    def on_graded(self, graded: Graded) -> None:
        r = graded.result
        with self.lock:
            self.running = max(0, self.running - 1)
            self.done += 1
            self.failed += needs_attention(r)
            now = time.monotonic()
            self.projected_end = self.started_at + (now - self.started_at) / self.done * self.total
            self.bar.update(self.task, completed=self.done)
            errors = sum(t.error for t in r.tests)
            note = (_("not graded: {why}").format(why=r.error.splitlines()[0]) if r.error
                    else _("{n} grader error(s)").format(n=errors) if errors
                    else _("from the cache") if graded.cached == len(r.tests)
                    else _("{seconds:.1f} s").format(seconds=graded.seconds))
            line = visible(f"[{self.done}/{self.total}] {r.name}: {numeral(r.score, 'g')} / "
                           f"{numeral(r.max_score, 'g')} ({note}); {self.state()}")
            if not self.live or needs_attention(r):
                (self.bar.console if self.live else console).print(escape(line), soft_wrap=True)

    def __enter__(self) -> ClassProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)


def fixed_times(assignment: Assignment) -> str:
    """The fixed times of this run, for its log: every other wait ends on an event (README,
    "Settled, not slept"), and a correct program never waits for these."""
    rates = [_("{scenario!r}: {measure} over {over} s").format(scenario=s.name, measure=a["measure"], over=a["over"])
             for s in assignment.scenarios for step in s.steps
             for verb, a in step.items() if verb == "probe" and isinstance(a, dict) and "over" in a]
    if rates:
        return _("Fixed times: {settle:g} s of CPU time for each thread of a program that never sleeps to settle "
                 "({up:g} s for one of a program already running); rates measured over a window, unless decided "
                 "at once ({rates})").format(settle=SETTLE_CPU, up=SETTLE_CPU_UP, rates="; ".join(rates))
    return _("Fixed times: {settle:g} s of CPU time for each thread of a program that never sleeps to settle "
             "({up:g} s for one of a program already running)").format(settle=SETTLE_CPU, up=SETTLE_CPU_UP)


def run_class(assignment: Assignment, subs: list[Path], args: argparse.Namespace,
              cache: ResultCache | None = None) -> ClassResult:
    """Grade the class with a progress display; raises Interrupted on Ctrl-C."""
    backend = open_backend(args.backend)  # open for the class: its pytest runs may share it (Sandbox.lend)
    try:
        return _run_class(assignment, subs, args, cache, backend)
    finally:
        backend.close()


def _run_class(assignment: Assignment, subs: list[Path], args: argparse.Namespace, cache: ResultCache | None,
               backend: Sandbox) -> ClassResult:
    if backend.one_at_a_time and (args.jobs > 1 or args.side_by_side > 1):
        console.print(escape(_("The {backend} sandbox shares this machine's network: one scenario at a time "
                               "(-j 1, --side-by-side 1)").format(backend=backend.name)), soft_wrap=True)
        args.jobs = args.side_by_side = 1
    what = dict(n=len(subs), lab=f"[bold]{escape(assignment.name)}[/]", backend=f"[bold]{backend.name}[/]",
                jobs=args.jobs)
    console.print(_("Grading {n} submission(s) of {lab} with the {backend} sandbox, {jobs} at a time; cache: "
                    "{cache}").format(**what, cache=escape(str(cache.root))) if cache else
                  _("Grading {n} submission(s) of {lab} with the {backend} sandbox, {jobs} at a time").format(**what),
                  soft_wrap=True)
    console.print(escape(fixed_times(assignment)), soft_wrap=True)
    with ClassProgress(len(subs)) as progress:
        return grade_class(assignment, subs, backend.name, args.jobs, args.out / "logs", cache=cache,
                           on_start=progress.on_start, on_graded=progress.on_graded,
                           side_by_side=args.side_by_side, sandbox=backend,
                           transcripts=getattr(args, "transcripts", False))  # grade selfcheck -v

