"""The session's scenarios graded side by side: ahead of pytest's walk, several at once.

PYTEST_DONT_REWRITE: a plugin module (see __init__.py), imported before pytest registers it."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Generator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from ..errors import GraderError
from ..handin import SubmissionUnusable
from ..results import TestResult
from ..sandbox import DriverProcess
from .items import ScenarioItem, requirements, test_name
from .session import GRADING, Grading

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

