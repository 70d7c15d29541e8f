"""Grading a class: one pytest process per submission (a crash costs that submission only), N at once.

Theory of operation.
  * Processes: each submission's pytest run is forked from one server per class run
    (grader/pytest_server.py), which imported pytest and labgrade once; it is still a process of
    its own, in a session of its own. The assignment goes to it as `grade` loaded and checked it
    (a pickle: `--labgrade-assignment`), not loaded again per submission.
  * Cache: before a submission's pytest run, the result of each unit (a scenario, or the
    checks written in Python) is looked up in the cache (grader/cache.py); pytest runs only the
    units that are missing, selected by path (scenario files, check files) and, within the
    scenario files, by name (`--labgrade-scenario`). A submission whose units are all cached
    starts no process at all. Fresh results are stored once the run has ended normally.
  * Ctrl-C: the running pytest processes are stopped (grader/pytest_runs.py), then what a
    process killed before its own clean-up may have left is swept (`ClassRun.remove_leftovers`).
    The submissions graded before the interrupt are kept (`Interrupted.partial`).
  * Which lab a class folder is for: grader/discovery.py; `--shard K/N`: grader/shard.py.
"""

from __future__ import annotations

import json
import os
import pickle
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from .assignment import Assignment
from .cache import CHECKS_UNIT, Keys, ResultCache, Unit, check_files
from .errors import GraderError
from .findings import start_findings
from .handin import locate, submission_name
from .i18n import _
from .outcome import Stopped, TimedOut
from .pytest_runs import PytestRuns, sigint_ignored
from .pytest_server import PytestServer
from .results import ClassResult, SubmissionResult, TestResult
from .run import SIDE_BY_SIDE
from .sandbox import BACKENDS
from .sandbox.base import SHARED_ENV, Sandbox
from .sandbox.lifecycle import STOP_GRACE
from .ungraded import unusable, with_every_test

GRADING_INI = Path(__file__).with_name("grading.ini")
# pytest's own plugins that a grading run never uses, off on its command line (there, `-p no:` keeps pytest
# from loading them; in grading.ini, it would only unregister them once loaded): each costs every run its
# registration and a scan for fixtures, unraisableexception and threadexception a gc.collect() at the end
# (0.19 -> 0.12 s of CPU per submission's run with pytest_server's imports). Those a check written in Python
# may use stay: tmp_path, monkeypatch, capsys, caplog, recwarn, subtests (tests/integration/test_checks.py).
UNUSED_PLUGINS = ("doctest", "pastebin", "junitxml", "setuponly", "setupplan", "stepwise", "unraisableexception",
                  "threadexception", "debugging")
SUBMISSION_SLACK = 120.0  # seconds beyond the sum of scenario budgets before a submission's run is killed


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a class run: `partial` holds the submissions graded before it."""

    def __init__(self, partial: ClassResult, not_graded: list[str]) -> None:
        super().__init__()
        self.partial, self.not_graded = partial, not_graded


def with_requirements(assignment: Assignment, names: set[str]) -> set[str]:
    """The scenarios `names` and every scenario they require, transitively: a test that requires
    another is graded in the same run as it (its verdict depends on the other's)."""
    by_name = {s.name: s for s in assignment.scenarios}
    todo, seen = list(names), set(names)
    while todo:
        for r in by_name[n].requires if (n := todo.pop()) in by_name else ():
            if r not in seen:
                seen.add(r)
                todo.append(r)
    return seen


@dataclass(frozen=True)
class Graded:
    """One submission's result, and how it was obtained (for progress lines)."""

    result: SubmissionResult
    cached: int  # tests taken from the cache
    seconds: float


class ClassRun:
    """The submissions of one class run: their pytest processes, the cache, and stopping them all."""

    def __init__(self, assignment: Assignment, backend: str, logs: Path, cache: ResultCache | None = None,
                 side_by_side: int = SIDE_BY_SIDE, sandbox: Sandbox | None = None, transcripts: bool = False,
                 templates: bool = True) -> None:
        self.assignment, self.backend, self.logs = assignment, backend, logs
        self.transcripts = transcripts  # passed tests keep their transcript (grade selfcheck -v)
        self.cache = None if transcripts else cache  # whose entries hold the usual feedback, not transcripts
        self.sandbox = sandbox  # opened by `grade` for the class: lent to each pytest run (Sandbox.lend)
        self.side_by_side = side_by_side
        logs.mkdir(parents=True, exist_ok=True)
        self.keys = Keys(assignment, backend) if self.cache else None
        self.scenario_names = [s.name for s in assignment.scenarios]
        # the files a run collects, named rather than found: pytest walking the lab's folder (mutants,
        # reference) costs each run hundreds of stat() calls; in the order pytest's walk would give
        self.check_files = sorted(check_files(assignment), key=lambda p: p.relative_to(assignment.root).parts)
        self.server = PytestServer()  # forks each submission's pytest run, imported once
        self.runs = PytestRuns(self.server, templates)
        # the assignment as loaded and checked here, for every pytest run (plugin/session.py: --labgrade-assignment)
        fd, name = tempfile.mkstemp(prefix="labgrade-assignment-", suffix=".pickle")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(assignment, f)
        self.loaded = Path(name)

    def close(self) -> None:
        self.runs.close()
        self.server.close()
        self.loaded.unlink(missing_ok=True)

    # -- one submission ------------------------------------------------------------------

    def grade(self, submission: Path) -> Graded | None:
        """Grade one submission (None: the run was stopped before it finished)."""
        start = time.monotonic()
        units = self.keys.for_submission(submission) if self.keys and self.cache else None
        cached: dict[str, tuple[TestResult, ...]] = {}
        if units and self.cache:
            for unit in units:
                hit = self.cache.get(unit, self.scenario_names)
                if hit is not None:
                    cached[unit.name] = hit
        missing = [u for u in units if u.name not in cached] if units is not None else None
        if missing and units is not None:  # a test and what it requires are graded together
            rerun = with_requirements(self.assignment, {u.name for u in missing})
            missing = [u for u in units if u.name in rerun]
            for u in missing:
                cached.pop(u.name, None)
        log = self.logs / f"{submission_name(submission)}.log"
        if missing == []:
            log.write_text(_("labgrade: all {n} unit(s) from the cache, nothing run").format(n=len(cached)) + "\n")
            result = self._assemble(submission, {}, cached)
        else:
            fresh = self._run_pytest(submission, log, missing, len(cached))
            if fresh is None:
                return None
            if isinstance(fresh, SubmissionResult):
                return Graded(fresh, 0, time.monotonic() - start)
            if self.cache and missing:
                self._store(missing, fresh)
            result = self._assemble(submission, fresh, cached)
        return Graded(result, sum(len(t) for t in cached.values()), time.monotonic() - start)

    def _run_pytest(self, submission: Path, log: Path, missing: list[Unit] | None,
                    n_cached: int) -> dict[str, tuple[TestResult, ...]] | SubmissionResult | None:
        """Fresh results by unit name; a SubmissionResult when it could not be graded; None when stopped."""
        a = self.assignment
        names = {u.name for u in missing} if missing is not None else {*self.scenario_names, CHECKS_UNIT}
        scenarios = [s for s in a.scenarios if s.name in names]
        files = sorted({str(s.path) for s in scenarios})
        paths = files + ([str(p) for p in self.check_files] if CHECKS_UNIT in names else []) or [str(a.root)]
        select_args = [] if missing is None or n_cached == 0 else [f"--labgrade-scenario={s.name}" for s in scenarios]
        with tempfile.TemporaryDirectory(prefix="labgrade-results-") as tmp:
            results = Path(tmp) / "results.json"
            # every value as --option=value, and absolute: a folder named "--foo" or "-p" is a path, not an option
            shared = [*(f"-pno:{p}" for p in UNUSED_PLUGINS), f"--backend={self.backend}",
                      f"--config-file={GRADING_INI}", f"--rootdir={a.root}",
                      f"--side-by-side={self.side_by_side}", f"--labgrade-assignment={self.loaded}",
                      *(["--labgrade-transcripts"] if self.transcripts else []), "-q", "-rN", *select_args,
                      "--", *paths]
            budget = sum(s.timeout for s in scenarios) + SUBMISSION_SLACK
            env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
            with open(log, "wb") as out:
                what = _("labgrade: grading all units") if n_cached == 0 else _(
                    "labgrade: grading {n} unit(s), {cached} from the cache").format(n=len(names), cached=n_cached)
                out.write(f"{what}\n".encode())
                out.flush()
                lent = self.sandbox.lend() if self.sandbox is not None else None
                run_env = {**env, SHARED_ENV: lent[0]} if lent is not None else env
                lent_fd = lent[1].fileno() if lent is not None else None
                try:
                    outcome = self.runs.grade(shared, submission.absolute(), results, out, run_env, budget, lent_fd,
                                              whole=not select_args)
                finally:
                    if lent is not None:
                        lent[1].close()  # the run has its own copy: the server sees the end when it ends
                if isinstance(outcome, Stopped):
                    stopped = _("labgrade: interrupted (Ctrl-C): this submission was not graded")
                    out.write(f"\n{stopped}\n".encode())
            if isinstance(outcome, Stopped):
                return None
            if isinstance(outcome, TimedOut):
                return unusable(a, submission_name(submission),
                                _("grading did not finish within {budget:.0f} s").format(budget=budget))
            if not outcome.graded or not results.exists():
                tail = log.read_text(errors="replace")[-2000:]
                return unusable(a, submission_name(submission),
                                _("the grading run failed (pytest exit {rc}):").format(rc=outcome.code) + f"\n{tail}")
            tests = [TestResult.from_json(t) for t in json.loads(results.read_text())["tests"]]
        fresh: dict[str, tuple[TestResult, ...]] = {}
        for t in tests:
            unit = t.name if t.name in self.scenario_names else CHECKS_UNIT
            fresh[unit] = (*fresh.get(unit, ()), t)
        return fresh

    def _assemble(self, submission: Path, fresh: dict[str, tuple[TestResult, ...]],
                  cached: dict[str, tuple[TestResult, ...]]) -> SubmissionResult:
        """Scenarios in the assignment's order, then the Python checks; a scenario without a
        result is a grader error (it did not run), never the student's 0. Then the findings
        (findings.py): the hand-in's problems and notes, and programs that never started."""
        tests: list[TestResult] = []
        for s in self.assignment.scenarios:
            got = fresh.get(s.name) or cached.get(s.name)
            tests += got or [TestResult(s.name, s.tags, 0.0, s.points, "failed",
                                        _("Not run (deselected or the run stopped)."), s.visibility, error=True)]
        tests += fresh.get(CHECKS_UNIT) or cached.get(CHECKS_UNIT) or ()
        try:
            handin = locate(submission, self.assignment.handin)
            about = [*handin.problems, *handin.notes]
        except GraderError:  # refused (too large...): every test already says why
            about = []
        started, tests = start_findings(tests)
        return SubmissionResult(submission_name(submission), tuple(tests), findings=tuple(about + started))

    def _store(self, missing: list[Unit], fresh: dict[str, tuple[TestResult, ...]]) -> None:
        """Store fresh results; a test not run is not stored (it follows from what it requires)."""
        assert self.cache
        for unit in missing:
            if unit.name in fresh and all(t.status != "not_run" for t in fresh[unit.name]):
                self.cache.put(unit, fresh[unit.name])

    # -- stopping -----------------------------------------------------------------------

    def remove_leftovers(self) -> None:
        """After a stop, what a pytest process killed before its own cleanup may have left: the
        containers of dead owners (by their labels), the run's empty cgroups (by their names)."""
        BACKENDS[self.backend].sweep(within=STOP_GRACE)


def grade_class(assignment: Assignment, submissions: list[Path], backend: str, jobs: int, logs: Path,
                on_done: Callable[[SubmissionResult], None] = lambda r: None, *,
                cache: ResultCache | None = None, on_start: Callable[[str], None] = lambda name: None,
                on_graded: Callable[[Graded], None] = lambda g: None, side_by_side: int = SIDE_BY_SIDE,
                sandbox: Sandbox | None = None, transcripts: bool = False) -> ClassResult:
    """Grade every submission, `jobs` at a time (each with `side_by_side` scenarios at once);
    raises Interrupted (a KeyboardInterrupt) on Ctrl-C. `sandbox`: the backend, opened for the
    class, whose sandboxes the pytest runs may share (Sandbox.lend). `transcripts`: passed tests
    keep their transcript (and the cache is left alone: its entries hold the usual feedback)."""
    # a template pays the collection once for many runs: one submission (`grade check`) has nothing to share
    run = ClassRun(assignment, backend, logs, cache, side_by_side, sandbox, transcripts, templates=len(submissions) > 1)
    results: dict[Path, SubmissionResult] = {}

    def task(sub: Path) -> Graded | None:
        on_start(submission_name(sub))
        return run.grade(sub)

    def collect(sub: Path, future: Future[Graded | None]) -> None:
        try:
            graded = future.result()
        except Exception as e:  # a grader bug on one submission must not lose the others
            graded = Graded(unusable(assignment, submission_name(sub), _("internal error: {error!r}").format(error=e)),
                            0, 0.0)
        if graded is not None:
            results[sub] = graded.result
            on_graded(graded)
            on_done(graded.result)

    pool = ThreadPoolExecutor(max_workers=max(1, jobs))
    futures: dict[Future[Graded | None], Path] = {}
    try:
        futures = {pool.submit(task, s): s for s in submissions}
        for future in as_completed(futures):
            collect(futures[future], future)
    except KeyboardInterrupt:
        with sigint_ignored():
            pool.shutdown(wait=False, cancel_futures=True)
            run.runs.stop()
            pool.shutdown(wait=True)
            run.remove_leftovers()
        for future, sub in futures.items():  # those that ended while the main thread was interrupted
            if sub not in results and future.done() and not future.cancelled() and future.exception() is None:
                graded = future.result()
                if graded is not None:
                    results[sub] = graded.result
        kept = with_every_test(tuple(results[s] for s in submissions if s in results))
        raise Interrupted(ClassResult(assignment.name, kept),
                          [submission_name(s) for s in submissions if s not in results]) from None
    finally:
        pool.shutdown(wait=True)
        run.close()
    return ClassResult(assignment.name, with_every_test(tuple(results[s] for s in submissions)))
