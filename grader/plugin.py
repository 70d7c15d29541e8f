"""The pytest plugin: an assignment's scenario files are test items, graded in a sandbox.

    pytest assignments/echo-concurrent --submission path/to/student [--backend local] [-k zombies]

Each scenario of scenarios/*.yaml is one item; a failing item prints the student-facing
feedback, not a traceback. Checks written in Python sit beside them (e.g. checks/test_*.py)
as ordinary pytest tests: mark them `@pytest.mark.labgrade(points=2, tags=["protocol"])` and
use the `live_submission` fixture, which opens a sandbox running the driver step by step. Their
texts may be bilingual as a scenario's: `name={"fr": ..., "en": ...}`, and an assertion message
picked with the `lang` fixture (the language of the run).
`--labgrade-results FILE` writes every item's result as JSON (what `grade` aggregates).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import pickle
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Generator, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from .assignment import Assignment, Scenario
from .assignment.model import Text, pick, versions
from .driver.wire import Verdict
from .errors import AssignmentError, GraderError
from .feedback import EXPECTED_OBSERVED
from .findings import not_run
from .handin import HandIn, SubmissionUnusable, locate, stage
from .i18n import _, current, for_assignment
from .results import TestResult
from .run import SIDE_BY_SIDE, at_least_one, grade_scenario, plan_for
from .sandbox import BACKENDS, DriverProcess, Sandbox, open_backend
from .sandbox.base import PARENT_ENV


class Staged:
    """A submission located (which file is where) and copied for the sandbox, for one assignment."""

    def __init__(self, handin: HandIn, folder: Path) -> None:
        self.handin, self.folder = handin, folder

    def unavailable(self, scripts: tuple[str, ...]) -> str | None:
        """Why a test that runs these hand-in files cannot run ('client.py is missing ...'), or None."""
        for script in scripts:
            if script in self.handin.missing:
                return _("{script} is missing from the hand-in (see the first finding)").format(script=script)
            if script in self.handin.ambiguous:
                return _("{script} is handed in several times (see the first finding)").format(script=script)
        return None


class Grading:
    """Per pytest session: the assignment, the sandbox backend, the staged submission."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.assignments: dict[Path, Assignment] = {}
        self._sandbox: Sandbox | None = None
        self._opening: Future[Sandbox] | None = None
        self._staged: dict[Path, Staged] = {}
        self._tmp: Path | None = None
        self._refused: SubmissionUnusable | None = None  # the submission cannot be staged: said once per test
        self.results: list[dict[str, Any]] = []
        self.outcomes: dict[str, TestResult] = {}  # test name -> its result, for the tests that require it
        self.aliases: dict[str, str] = {}  # a test's name in any of its languages -> in the run's
        self.findings: list[str] = []
        self.ahead: SideBySide | None = None

    def assignment(self, root: Path) -> Assignment:
        root = root.resolve()
        if root not in self.assignments:
            given = self.config.getoption("labgrade_assignment")
            if given:  # `grade` loaded and checked it once for the class: not again per submission
                with open(given, "rb") as f:
                    loaded: Assignment = pickle.load(f)  # written by `grade` itself (classrun.py), for this run
                self.assignments[loaded.root.resolve()] = loaded
            if root not in self.assignments:
                from .assignment import load_assignment  # JSON Schema and YAML: only when needed

                self.assignments[root] = load_assignment(root)
            # `grade` chose it already; alone, the assignment's or the locale's
            self.assignments[root] = for_assignment(self.assignments[root], None)
        return self.assignments[root]

    @property
    def submission(self) -> Path:
        value = self.config.getoption("labgrade_submission")
        if not value:
            raise pytest.UsageError("labgrade: pass --submission DIR (the student's folder) to grade an assignment")
        return Path(value)

    def open_ahead(self) -> None:
        """Open the sandbox while pytest collects, on a thread of its own: the docker backend's
        container starts meanwhile (~0.3 s, bench/RESULTS.md), the local backend's driver server too."""
        opening: Future[Sandbox] = Future()

        def open_() -> None:
            try:
                opening.set_result(open_backend(self.config.getoption("labgrade_backend")))
            except BaseException as e:  # raised where the sandbox is first needed, as it would have been
                opening.set_exception(e)

        self._opening = opening
        threading.Thread(target=open_, name="labgrade-open-sandbox", daemon=True).start()

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            if self._opening is not None:
                self._sandbox = self._opening.result()
            else:
                self._sandbox = open_backend(self.config.getoption("labgrade_backend"))
        return self._sandbox

    def staged(self, assignment: Assignment) -> Staged:
        """The submission as this assignment's tests see it: its hand-in files located and copied."""
        if self._refused is not None:
            raise self._refused
        if assignment.root not in self._staged:
            self._tmp = self._tmp or Path(tempfile.mkdtemp(prefix="labgrade-submission-"))
            try:
                handin = locate(self.submission, assignment.handin)
                folder = stage(handin, self._tmp / f"submission-{len(self._staged)}")
            except SubmissionUnusable as e:
                self._refused = e
                raise
            self._staged[assignment.root] = Staged(handin, folder)
            self.findings += [*handin.problems, *handin.notes]
        return self._staged[assignment.root]

    def close(self) -> None:
        if self._sandbox is None and self._opening is not None:
            with contextlib.suppress(BaseException):  # opened for a session that graded nothing
                self._sandbox = self._opening.result()
        if self._sandbox is not None:
            self._sandbox.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)


GRADING = pytest.StashKey[Grading]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("labgrade", "grading TCP socket labs")
    group.addoption("--submission", dest="labgrade_submission", metavar="DIR", help="the submission folder to grade")
    group.addoption("--backend", dest="labgrade_backend", default="auto", choices=["auto", *BACKENDS],
                    help="sandbox backend (default: auto)")
    group.addoption("--labgrade-results", dest="labgrade_results", metavar="FILE",
                    help="write each test's result (score, tags, feedback) as JSON to FILE")
    group.addoption("--side-by-side", dest="labgrade_side_by_side", type=at_least_one, default=SIDE_BY_SIDE,
                    metavar="N",
                    help=f"scenarios of the submission graded at once, each in its own sandbox (default: "
                         f"{SIDE_BY_SIDE}; 1: one after another). Results and reports are the same.")
    group.addoption("--labgrade-assignment", dest="labgrade_assignment", metavar="FILE",
                    help="the assignment as `grade` loaded and checked it (a pickle it wrote for this run): "
                         "used for the assignment folder it came from instead of loading that again")
    group.addoption("--labgrade-transcripts", dest="labgrade_transcripts", action="store_true",
                    help="keep the transcript of every scenario in its output, passed ones too (`grade selfcheck -v`)")
    group.addoption("--labgrade-scenario", dest="labgrade_scenarios", action="append", metavar="NAME",
                    help="grade only the scenario of this name (repeatable; other scenarios are deselected, "
                         "checks written in Python are not affected): how `grade` regrades what its cache lacks")


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_grade() -> None:
    """A pytest started by `grade` is interrupted when `grade` ends, however it ends (SIGKILL
    included): SIGINT, so that its sandboxes are torn down as on Ctrl-C; never left grading alone."""
    parent = os.environ.get(PARENT_ENV, "")
    if not parent.isdigit():
        return
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(signal.SIGINT))
    if os.getppid() != int(parent):  # `grade` ended before the line above
        os.kill(os.getpid(), signal.SIGINT)


def pytest_configure(config: pytest.Config) -> None:
    die_with_grade()
    config.stash[GRADING] = Grading(config)
    config.addinivalue_line("markers", "labgrade(points, tags, name=None, visibility='visible', requires=()): "
                                       "a graded check written in Python (name: text, or {language: text})")


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if config.getoption("labgrade_submission") and not config.option.collectonly:
        config.stash[GRADING].open_ahead()


def _marker_name(item: pytest.Item) -> Text | None:
    """A check's `name=`: plain, or {language: name}, as a scenario's."""
    marker = item.get_closest_marker("labgrade")
    name: Text | None = marker.kwargs.get("name") if marker else None
    return name


def test_name(item: pytest.Item) -> str:
    """The name a test is reported (and required) by, in the language of the run."""
    if isinstance(item, ScenarioItem):
        return item.scenario.name
    name = _marker_name(item)
    if isinstance(name, Mapping):
        if current() not in name:
            raise pytest.UsageError(f"{item.path}:{(item.location[1] or 0) + 1}: the check's name= is written in "
                                    f"{', '.join(name)}, not in {current()}: grade with --lang {next(iter(name))} "
                                    f"or add the {current()} name")
        return pick(name, current())
    doc = (getattr(getattr(item, "function", None), "__doc__", None) or "").strip()
    return str(name or (doc.splitlines()[0] if doc else item.name))


def test_names(item: pytest.Item) -> tuple[str, ...]:
    """Every name a test answers to (requires=, --labgrade-scenario): its name in each of its languages."""
    if isinstance(item, ScenarioItem):
        return item.scenario.names
    name = _marker_name(item)
    return tuple(dict.fromkeys([test_name(item), *(versions(name) if name else ())]))


def requirements(item: pytest.Item) -> tuple[str, ...]:
    """The names of the tests `item` requires, as the run names them (in its language)."""
    if isinstance(item, ScenarioItem):
        return item.scenario.requires
    marker = item.get_closest_marker("labgrade")
    aliases = item.config.stash[GRADING].aliases
    return tuple(aliases.get(n, n) for n in marker.kwargs.get("requires", ())) if marker else ()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = set(config.getoption("labgrade_scenarios") or ())
    dropped = [i for i in items if isinstance(i, ScenarioItem) and wanted and not wanted & set(i.scenario.names)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]
    config.stash[GRADING].aliases = {alias: test_name(i) for i in items for alias in test_names(i)}
    # what a test requires runs before it (the order is otherwise kept)
    by_name = {test_name(i): i for i in items}
    ordered: list[pytest.Item] = []
    placed: set[int] = set()

    def place(item: pytest.Item) -> None:
        if id(item) in placed:
            return
        placed.add(id(item))
        for name in requirements(item):
            if name in by_name:
                place(by_name[name])
        ordered.append(item)

    for item in list(items):
        place(item)
    items[:] = ordered


def unmet(outcomes: Mapping[str, TestResult], item: pytest.Item) -> tuple[str, bool] | None:
    """(why, grader error?) when a test must not run because a test it requires did not pass."""
    for name in requirements(item):
        got = outcomes.get(name)
        if got is None:
            continue  # not graded in this session (deselected): nothing to go by
        if got.error:
            return _("requires '{name}', which the grader could not grade").format(name=name), True
        if got.status != "passed":
            return _("requires '{name}', which did not pass").format(name=name), False
    return None


STOPS = {signal.SIGINT, signal.SIGTERM}  # blocked in the workers: a Ctrl-C must reach the main thread, which
# alone runs Python's handlers; delivered to a worker, it would wait for the scenarios to end. (What the workers
# start inherits the mask: the driver clears it before it starts any program.)


class SideBySide:
    """The session's scenarios graded ahead, `width` at a time, by worker threads, while pytest
    walks its items in their order and reports each at its turn: the order, the requirements and
    the reports are those of one at a time; only the waiting overlaps (each scenario has its own
    sandbox, and most of a scenario's time is spent waiting for programs). A scenario requires
    only scenarios (the loader refuses any other name); a check written in Python runs at its turn."""

    def __init__(self, grading: Grading, items: list[pytest.Item], width: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="labgrade-scenario",
                                       initializer=signal.pthread_sigmask, initargs=(signal.SIG_BLOCK, STOPS))
        self.futures: dict[str, Future[TestResult]] = {}
        in_session = {test_name(i) for i in items}
        for item in items:
            if not isinstance(item, ScenarioItem):
                continue
            needs = [n for n in requirements(item) if n in in_session]
            if any(n not in self.futures for n in needs):
                continue
            with contextlib.suppress(SubmissionUnusable):
                grading.staged(item.assignment)  # staged here, once: the workers only read it
            prior = {n: self.futures[n] for n in needs}
            self.futures[item.scenario.name] = self.pool.submit(self._grade, item, prior)

    @staticmethod
    def _grade(item: ScenarioItem, prior: dict[str, Future[TestResult]]) -> TestResult:
        outcomes = {}
        for name, future in prior.items():  # submitted earlier: running or done (first in, first out)
            try:
                outcomes[name] = future.result()
            except Exception as e:  # that test's own report says what; this one is not run
                outcomes[name] = TestResult(name, (), 0.0, 0.0, "failed", str(e), error=True)
        return item.grade(outcomes)

    def future(self, item: ScenarioItem) -> Future[TestResult] | None:
        return self.futures.get(item.scenario.name)

    def close(self) -> None:
        """Wait for the workers; those still grading (an interrupt, a backstop timeout) are ended."""
        self.pool.shutdown(wait=False, cancel_futures=True)
        if not all(f.done() for f in self.futures.values()):
            DriverProcess.interrupt_all()
        self.pool.shutdown(wait=True)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    grading = session.config.stash[GRADING]
    width = session.config.getoption("labgrade_side_by_side")
    if any(isinstance(i, ScenarioItem) for i in session.items) and not session.config.option.collectonly:
        try:
            box = grading.sandbox  # opened here, once: the workers only use it
        except GraderError:
            pass  # each scenario says so at its turn, as one at a time
        else:
            box.expect(len(session.items))  # a Python check is counted as one start (most open one)
            if width > 1 and not box.one_at_a_time:  # the process sandbox: a network shared by all
                grading.ahead = SideBySide(grading, session.items, width)
    try:
        return (yield)
    finally:
        if grading.ahead is not None:
            grading.ahead.close()


def pytest_unconfigure(config: pytest.Config) -> None:
    if GRADING in config.stash:
        config.stash[GRADING].close()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in (".yaml", ".yml") and file_path.parent.name == "scenarios" \
            and (file_path.parent.parent / "assignment.yaml").is_file():
        return ScenarioFile.from_parent(parent, path=file_path)
    if file_path.name == "assignment.yaml" and (file_path.parent / "scenarios").is_dir():
        return AssignmentFile.from_parent(parent, path=file_path)
    return None


def _load(collector: pytest.File, folder: Path) -> Assignment | None:
    """The assignment, or a collection error without traceback. The full `file:line: message` comes
    from the collector of the file at fault: a scenario file's own, assignment.yaml's for the other
    problems (assignment.yaml itself, the reference, no scenarios); the other scenario files say in
    one line that they were not collected, and assignment.yaml's stays quiet (None)."""
    try:
        return collector.config.stash[GRADING].assignment(folder)
    except AssignmentError as e:
        in_scenario_file = e.path.parent.name == "scenarios" and e.path.suffix in (".yaml", ".yml")
        at_fault = e.path if in_scenario_file else folder / "assignment.yaml"
        if at_fault.resolve() == collector.path.resolve():
            raise collector.CollectError(str(e)) from None
        if isinstance(collector, ScenarioFile):
            raise collector.CollectError(f"not collected, the assignment does not load: {str(e).splitlines()[0]}") \
                from None
        return None
    except GraderError as e:
        raise collector.CollectError(str(e)) from None


class AssignmentFile(pytest.File):
    """assignment.yaml holds no test, but reports the assignment's problems found outside its scenario files."""

    def collect(self) -> list[pytest.Item]:
        _load(self, self.path.parent)
        return []


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[ScenarioItem]:
        assignment = _load(self, self.path.parent.parent)
        for scenario in assignment.scenarios if assignment else ():
            if scenario.path == self.path:
                yield ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario, assignment=assignment)


class ScenarioFailed(Exception):
    def __init__(self, result: TestResult) -> None:
        super().__init__(result.output)
        self.result = result


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, assignment: Assignment, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario, self.assignment = scenario, assignment
        self.add_marker(pytest.mark.timeout(scenario.timeout + 60))  # the backstop only
        for tag in scenario.tags:
            self.add_marker(tag)

    def runtest(self) -> None:
        grading = self.config.stash[GRADING]
        s = self.scenario
        ahead = grading.ahead.future(self) if grading.ahead else None
        result = ahead.result() if ahead else self.grade(grading.outcomes)
        self.user_properties.append(("labgrade", result))
        grading.outcomes[s.name] = result
        if result.status != "passed":
            raise ScenarioFailed(result)

    def grade(self, outcomes: Mapping[str, TestResult]) -> TestResult:
        """Grade the scenario (`outcomes`: the results of the tests it requires, by name); from
        any thread once the submission is staged."""
        grading = self.config.stash[GRADING]
        s = self.scenario
        blank = TestResult(s.name, s.tags, 0.0, s.points, "failed", "", s.visibility)
        try:
            staged = grading.staged(self.assignment)
        except SubmissionUnusable as e:  # the student's fault (too many files...): 0 and why, not a grader error
            return TestResult(s.name, s.tags, 0.0, s.points, "failed", f"{str(e)[:1].upper()}{str(e)[1:]}",
                              s.visibility)
        missing = staged.unavailable(self.assignment.student_scripts(s))
        blocked = unmet(outcomes, self)
        if missing:
            return not_run(blank, missing)
        if blocked:
            return not_run(blank, *blocked)
        return grade_scenario(grading.sandbox, self.assignment, s, staged.folder, staged.handin.files,
                              self.config.getoption("labgrade_transcripts"))[0]

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return excinfo.value.result.output
        if isinstance(excinfo.value, GraderError):
            return _("grader error: {message}").format(message=excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario: {self.scenario.name}"


# -- checks written in Python --------------------------------------------------------------

class StepError(AssertionError):
    """A step of a Python check failed: its message is the student-facing explanation."""


class CheckError(GraderError):
    """A check written in Python asked for something the driver cannot do (an unknown step, bad
    arguments), or the driver failed: the check's or the grader's fault, never the student's."""


class LiveSandbox:
    """A sandbox whose driver runs steps one at a time (the same steps as in YAML)."""

    def __init__(self, proc: DriverProcess) -> None:
        self.proc = proc
        self.last: dict[str, Any] = {}
        self._received: dict[str, str] = {}

    def step(self, verb: str, args: Any = None) -> dict[str, Any]:
        self.last = self.proc.request({verb: args if args is not None else {}})
        for client, text in (self.last.get("received") or {}).items():  # what arrived since the last step
            self._received[client] = self._received.get(client, "") + str(text)
        if self.last.get("grader_error"):
            raise CheckError(_("step {verb!r}: {error}").format(verb=verb, error=self.last["grader_error"]))
        if not self.last.get("ok"):
            verdict = Verdict.from_json(self.last.get("verdict"))
            raise StepError(f"{verdict.reason}\n" + _(EXPECTED_OBSERVED).format(
                expected=verdict.expected, observed=verdict.observed))
        return self.last

    def received(self, client: str) -> str:
        """Everything `client` received so far (bytes as text, undecodable ones as \\xNN)."""
        return self._received.get(client, "")

    def close(self) -> dict[str, Any]:
        return self.proc.finish(end=True)


@pytest.fixture
def labgrade_assignment(request: pytest.FixtureRequest) -> Assignment:
    grading = request.config.stash[GRADING]
    for parent in Path(request.path).parents:
        if (parent / "assignment.yaml").is_file():
            try:
                return grading.assignment(parent)
            except GraderError as e:  # file:line and what to fix, not a traceback
                pytest.fail(str(e), pytrace=False)
    raise pytest.UsageError(f"{request.path} is not inside an assignment folder")


@pytest.fixture
def lang(labgrade_assignment: Assignment) -> str:
    """The language the run speaks (en, fr), for a check's own texts: `assert ok, {"fr": "...", "en": "..."}[lang]`."""
    return current()


@pytest.fixture
def live_submission(request: pytest.FixtureRequest,
                    labgrade_assignment: Assignment) -> Iterator[Callable[..., LiveSandbox]]:
    """`box = live_submission()` opens a sandbox with the submission; `box.step("connect", "alice")`."""
    grading = request.config.stash[GRADING]
    opened: list[LiveSandbox] = []

    def open_(timeout: float = 30.0) -> LiveSandbox:
        scenario = Scenario(name=request.node.name, tags=(), points=0, steps=(), timeout=timeout)
        staged = grading.staged(labgrade_assignment)
        plan = replace(plan_for(labgrade_assignment, scenario, staged.folder, staged.handin.files), interactive=True)
        proc = grading.sandbox.start(plan.to_json())
        proc.wait_ready()
        opened.append(LiveSandbox(proc))
        return opened[-1]

    yield open_
    for box in opened:
        box.close()


# -- results for `grade` ---------------------------------------------------------------------

NOT_RUN = pytest.StashKey[tuple[str, bool]]()
RECORDED = pytest.StashKey[int]()  # where the item's result is in Grading.results
RUNNING = pytest.StashKey[bool]()  # the check's function is running: a report made now is a subtest's
SUBTEST_FAILED = pytest.StashKey[tuple[pytest.TestReport, pytest.CallInfo[None]]]()  # the first one


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, None]:
    item.stash[RUNNING] = True
    try:
        yield
    finally:
        item.stash[RUNNING] = False


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A check written in Python whose requirement did not pass is not run (a scenario sees to it itself)."""
    if isinstance(item, ScenarioItem) or item.get_closest_marker("labgrade") is None:
        return
    blocked = unmet(item.config.stash[GRADING].outcomes, item)
    if blocked:
        item.stash[NOT_RUN] = blocked
        pytest.skip(f"not run: {blocked[0]}")


def _result_of(item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo[None]) -> TestResult | None:
    exc = call.excinfo.value if call.excinfo else None
    if isinstance(item, ScenarioItem):
        if isinstance(exc, ScenarioFailed):
            return exc.result
        for key, value in item.user_properties:
            if key == "labgrade" and isinstance(value, TestResult):
                return value
        s = item.scenario  # the item itself broke (timeout backstop, grader bug): the instructor must look
        return TestResult(name=s.name, tags=s.tags, score=0.0, max_score=s.points, status="failed",
                          output=f"The grader failed on this test: {report.longreprtext[-3000:]}",
                          visibility=s.visibility, error=True)
    marker = item.get_closest_marker("labgrade")
    if marker is None:
        return None
    points = float(marker.kwargs.get("points", 1))
    students_fault = isinstance(exc, AssertionError | SubmissionUnusable)  # else the check's or the sandbox's
    message = _("Passed.") if report.passed else str(exc) if students_fault else report.longreprtext
    if NOT_RUN in item.stash:
        blank = TestResult(test_name(item), tuple(marker.kwargs.get("tags", ())), 0.0, points, "failed", "",
                           marker.kwargs.get("visibility", "visible"))
        return not_run(blank, *item.stash[NOT_RUN])
    return TestResult(name=test_name(item),
                      tags=tuple(marker.kwargs.get("tags", ())), score=points if report.passed else 0.0,
                      max_score=points, status="passed" if report.passed else "failed", output=message,
                      visibility=marker.kwargs.get("visibility", "visible"),
                      # a check that failed other than by an assertion (a sandbox fault, a bug in the
                      # check) is the grader's failure: never the student's 0, never cached
                      error=not report.passed and not students_fault)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    grading = item.config.stash[GRADING]
    if report.when == "call" and item.stash.get(RUNNING, False):
        # a subtest (pytest's `subtests` fixture) is part of its check: one result, failed by its first failure
        if report.failed and SUBTEST_FAILED not in item.stash:
            item.stash[SUBTEST_FAILED] = (report, call)
        return
    if report.when == "call" and report.passed and SUBTEST_FAILED in item.stash:
        report, call = item.stash[SUBTEST_FAILED]
    if report.when == "call" or (report.when == "setup" and (report.failed or NOT_RUN in item.stash)):
        result = _result_of(item, report, call)
        if result is not None:
            grading.outcomes[result.name] = result
            grading.results.append(result.to_json())
            item.stash[RECORDED] = len(grading.results) - 1
    elif report.when == "teardown" and report.failed and RECORDED in item.stash:
        # the test's verdict stands on nothing if its sandbox could not be closed: the grader's fault
        at = item.stash[RECORDED]
        done = TestResult.from_json(grading.results[at])
        grading.results[at] = replace(done, score=0.0, status="failed", error=True, feedback=None,
                                      output=f"The grader failed after this test ran: {report.longreprtext[-3000:]}"
                                      ).to_json()


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = session.config.getoption("labgrade_results")
    if path:
        grading = session.config.stash[GRADING]
        Path(path).write_text(json.dumps({"tests": grading.results, "findings": grading.findings}, indent=1))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The submission's findings (a missing file, files found one folder down), once, at the end."""
    findings = terminalreporter.config.stash[GRADING].findings if GRADING in terminalreporter.config.stash else []
    if findings:
        terminalreporter.section("labgrade: about the hand-in")
        for f in findings:
            terminalreporter.line(f)
