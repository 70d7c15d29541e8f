"""What a student must read first, once: findings about the whole submission.

Theory of operation. Some causes spoil every scenario that meets them: a hand-in file that is
missing, or a program that cannot start (a syntax error, an import of a module the sandbox does
not have, a crash on its arguments, a server that never listens on the port it is given).
Repeating the same traceback under thirteen pieces of unrelated advice hides the one thing to
fix. So:
  * the hand-in's problems and notes (grader/handin/: a missing or ambiguous file, files found
    one folder down or inside a zip) are findings;
  * a hand-in file whose program failed to start, for the same reason, in every scenario that
    ran it (`TestResult.started`, filled from the driver's `start_failure`) is one finding; the
    first of those scenarios keeps its whole feedback (the traceback, the limit it hit: the
    evidence, once), the others are "not run" with a pointer to the finding. A program that
    started in one scenario and not in another is not grouped: each scenario keeps its feedback.
A test not run scores 0 but fails under none of its tags: the finding names the cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from .i18n import N_, _, read_back
from .results import TestResult

NOT_RUN = N_("Not run: {why}")  # report.html tells a test not run by it, in any language


def start_findings(tests: Sequence[TestResult]) -> tuple[list[str], list[TestResult]]:
    """Findings for hand-in files that never started, and the tests with those failures 'not run'."""
    scripts = dict.fromkeys(script for t in tests for script in t.started)
    findings, grouped = [], {}
    for script in scripts:
        reasons = {t.started[script] for t in tests if script in t.started}
        if len(reasons) == 1 and (reason := reasons.pop()):
            findings.append(reason)
            grouped[script] = reason
    if not grouped:
        return findings, list(tests)
    out, shown = [], set()
    for t in tests:
        causes = [s for s in t.started if s in grouped]
        if causes and t.status == "failed" and not t.error and causes[0] in shown:
            out.append(replace(t, status="not_run", score=0.0,
                               output=_(NOT_RUN).format(why=grouped[causes[0]]) + ".\n"
                               + _("This is reported once, at the top of your feedback: fix it first, then every "
                                   "test runs again.")))
        else:
            shown.update(causes)
            out.append(t)
    return findings, out


def not_run_why(output: str) -> str | None:
    """Why a test was not run, from its output's first line ("Not run: why", in any language); None: not one."""
    found = read_back(NOT_RUN, output.strip().split("\n", 1)[0])
    return found["why"] if found else None


def not_run(t: TestResult, why: str, error: bool = False) -> TestResult:
    """A test that was not run because of `why` ('requires ...', 'client.py is missing')."""
    return replace(t, status="failed" if error else "not_run", score=0.0, output=_(NOT_RUN).format(why=why),
                   error=error, duration=0.0)
