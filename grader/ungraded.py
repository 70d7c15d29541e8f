"""A submission that could not be graded, in a class's results: every test at 0 as a grader error, saying why."""

from __future__ import annotations

from dataclasses import replace

from .assignment import Assignment
from .i18n import _
from .results import SubmissionResult, TestResult


def unusable(assignment: Assignment, name: str, why: str) -> SubmissionResult:
    """Every scenario at 0 with the reason: the class run goes on."""
    headline = why.splitlines()[0]  # students see each test's output: the log tail stays in `error` and the logs
    tests = tuple(TestResult(s.name, s.tags, 0.0, s.points, "failed", _("Not graded: {why}").format(why=headline),
                             s.visibility, error=True)
                  for s in assignment.scenarios)
    return SubmissionResult(name, tests, error=why)


def with_every_test(results: tuple[SubmissionResult, ...]) -> tuple[SubmissionResult, ...]:
    """A submission that could not be graded at all lists the lab's YAML scenarios only: the
    checks written in Python are known once a pytest run collected them. Give it, at 0 and as
    grader errors, the tests another submission of the class was graded with, so that every
    submission's maximum is the lab's (a class where none was graded keeps the scenarios only)."""
    known = next((s.tests for s in results if not s.error), ())
    fixed = []
    for r in results:
        have = {t.name for t in r.tests}
        missing = [t for t in known if t.name not in have]
        if r.error and missing:
            why = r.tests[0].output if r.tests else ""
            r = replace(r, tests=(*r.tests, *(TestResult(t.name, t.tags, 0.0, t.max_score, "failed", why,
                                                         t.visibility, error=True) for t in missing)))
        fixed.append(r)
    return tuple(fixed)


def needs_attention(result: SubmissionResult) -> bool:
    """What the progress bar counts as failed: not graded at all, or a grader error on some test
    (never a low score: that is the student's)."""
    return bool(result.error) or any(t.error for t in result.tests)
