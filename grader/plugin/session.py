"""The grading session: the plugin's options, the assignment and the sandbox a session grades
with, the submission staged once, and the findings about the hand-in shown at the end.

PYTEST_DONT_REWRITE: a plugin module (see __init__.py), imported before pytest registers it."""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import shutil
import signal
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ..assignment import Assignment
from ..assignment.model import TAGS
from ..handin import HandIn, SubmissionUnusable, locate, stage
from ..i18n import _, for_assignment
from ..results import TestResult
from ..run import SIDE_BY_SIDE, at_least_one
from ..sandbox import BACKENDS, Sandbox, open_backend
from ..sandbox.base import PARENT_ENV

if TYPE_CHECKING:
    from .sidebyside import SideBySide


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
                from ..assignment import load_assignment  # JSON Schema and YAML: only when needed

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
    group.addoption("--labgrade-template", dest="labgrade_template", action="store_true",
                    help="(for `grade` only) configure and collect once, then fork a run for each submission "
                         "`grade` asks for (grader/plugin/template.py)")
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
    for tag in TAGS:  # each test carries its tags as markers: `-m concurrency` selects by tag
        config.addinivalue_line("markers", f"{tag}: result tag")


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if config.getoption("labgrade_submission") and not config.option.collectonly:
        config.stash[GRADING].open_ahead()

def pytest_unconfigure(config: pytest.Config) -> None:
    if GRADING in config.stash:
        config.stash[GRADING].close()

def pytest_terminal_summary(terminalreporter: Any) -> None:
    """The submission's findings (a missing file, files found one folder down), once, at the end."""
    findings = terminalreporter.config.stash[GRADING].findings if GRADING in terminalreporter.config.stash else []
    if findings:
        terminalreporter.section("labgrade: about the hand-in")
        for f in findings:
            terminalreporter.line(f)
