"""Each test's result for `grade`: a scenario's as graded, a check's from its pytest report
(its subtests included); written as JSON with the findings (`--labgrade-results`).

PYTEST_DONT_REWRITE: a plugin module (see __init__.py), imported before pytest registers it."""

from __future__ import annotations

import json
from collections.abc import Generator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ..findings import not_run
from ..handin import SubmissionUnusable
from ..i18n import _
from ..results import TestResult
from .items import ScenarioFailed, ScenarioItem, test_name, unmet
from .session import GRADING

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

