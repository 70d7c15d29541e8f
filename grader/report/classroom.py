"""GitHub Classroom: the `result` output its grading reporter reads, for one submission.

Theory of operation. A Classroom workflow runs grading steps, each of which sets a step output
`result` (base64 of a JSON document), then the official reporter step
(`classroom-resources/autograding-grading-reporter@v1`) with `runners: <step ids>` and, for each
runner, the environment variable `<ID>_RESULTS` (the id upper-cased) set to that output. The
reporter decodes each one and reads:

    {"version": 1, "status": "pass" | "fail" | "error", "max_score": <points available>,
     "tests": [{"name", "status": "pass" | "fail" | "error", "score": <points earned>, "message",
                "test_code", "filename", "line_no", "execution_time"}]}

Classroom's total is the sum of every test's `score` over the sum of the runners' `max_score`
(a runner whose max_score is 0 or missing is left out of both), so partial credit is exact:
each test's score is the points labgrade gave it, and max_score is labgrade's max_score. The
reporter fails the job when `status` is "fail" or "error", prints each test's name with ✅ (status
"pass") or ❌ and, for the others, `Error: <message>` on the job's log.

A test not run (a test it requires did not pass, a file is missing, the program could not start)
is "fail": the reporter knows pass, fail and error only, and "error" would say the grader failed.
The submission's findings (what the student must read first) need text the reporter prints, and it
prints a message only under a test that did not pass: they open the message of the first entry
that did not pass. When every entry passed (findings are then only notes, e.g. "found in TP1/"),
they come first as entries of their own, named "Note: <finding>", status "pass", score 0: the
reporter prints the name of a passing entry, the total stays the same, and all still pass.

An instructor's override (grade --overrides) of a visible test opens its message; a whole grade
an instructor set is a first entry of its own, "Note: " and why, status "pass", whose score is the
difference between that grade and the tests' total (negative when the grade was lowered), so
that Classroom's sum is the grade set.

Everything here is student-facing (the workflow runs in the student's repository): tests whose
visibility is not "visible" become one aggregate entry ("2 hidden tests") whose score is their
sum, so the total stays right without naming them. The reporter prints messages on stdout, where
the runner reads workflow commands (a line starting with `::` once leading spaces are trimmed,
or the legacy `##[`), so no line of a message may start with `::` nor contain `##[`.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..i18n import N_, _
from ..results import SubmissionResult, TestResult
from ..text import visible
from .github import annotation_message, shorten

VERSION = 1
MESSAGE_CHARS = 4000  # printed on the job's log under the test's name
HIDDEN_NAME = N_("{count} hidden tests")
NOTE_NAME = N_("Note: {text}")
FINDINGS_HEAD = N_("Read this first:")


def console_safe(text: str) -> str:
    """Text the Actions runner will not read as a workflow command, whatever the student printed."""
    lines = []
    for line in visible(text).replace("##[", "#\u200b#[").splitlines():
        stripped = line.lstrip()
        if stripped.startswith("::"):
            line = line[: len(line) - len(stripped)] + ":\u200b:" + stripped[2:]
        lines.append(line)
    return "\n".join(lines)


def status(test: TestResult) -> str:
    """pass, error (the grader failed) or fail (failed, or not run)."""
    return "pass" if test.status == "passed" else "error" if test.error else "fail"


def entry(name: str, state: str, score: float, message: str, duration: float) -> dict[str, Any]:
    return {"name": console_safe(name), "status": state, "score": score,
            "message": console_safe(shorten(message, MESSAGE_CHARS)),
            "test_code": "", "filename": "", "line_no": 0, "execution_time": f"{duration:.2f}s"}


def test_entries(sub: SubmissionResult) -> list[dict[str, Any]]:
    """One entry per visible test, then one for all the hidden ones (or one for "not graded")."""
    if sub.error:  # not graded at all: one entry carries the reason, the score stays 0
        return [entry(_("not graded"), "error", sub.tests_score,
                      _("Your submission could not be graded: {why}").format(why=sub.error), 0.0)]
    tests = [entry(t.name, status(t), t.score, message_of(t), t.duration)
             for t in sub.tests if t.visibility == "visible"]
    hidden = [t for t in sub.tests if t.visibility != "visible"]
    if hidden:
        failed = [t for t in hidden if t.status != "passed"]
        state = "pass" if not failed else "error" if all(t.error for t in failed) else "fail"
        score = round(sum(t.score for t in hidden), 4)
        of = round(sum(t.max_score for t in hidden), 4)
        message = "" if not failed else _("{failed} of {count} hidden tests did not pass: {score:g} / {of:g} "
                                          "points.").format(failed=len(failed), count=len(hidden), score=score, of=of)
        tests.append(entry(_(HIDDEN_NAME).format(count=len(hidden)), state, score, message,
                           sum(t.duration for t in hidden)))
    return tests


def message_of(test: TestResult) -> str:
    """A visible test's message: why an instructor set its points, if one did; what failed, if it did."""
    failure = "" if test.status == "passed" else test.student_output if test.error else annotation_message(test)
    return "\n\n".join(filter(None, [test.override_note, failure]))


def with_grade_override(tests: list[dict[str, Any]], sub: SubmissionResult) -> list[dict[str, Any]]:
    """A grade an instructor set: a first entry, "Note: " and why, whose score takes the tests' total to it."""
    if not sub.override:
        return tests
    return [entry(_(NOTE_NAME).format(text=" ".join(sub.override_note.split())), "pass",
                  round(sub.score - sub.tests_score, 4), "", 0.0), *tests]


def with_findings(tests: list[dict[str, Any]], findings: tuple[str, ...]) -> list[dict[str, Any]]:
    """The findings where the reporter prints them: atop the first message it prints, else as notes."""
    if not findings:
        return tests
    first = next((t for t in tests if t["status"] != "pass"), None)
    if first is None:
        return [entry(_(NOTE_NAME).format(text=" ".join(f.split())), "pass", 0.0, "", 0.0) for f in findings] + tests
    text = "\n".join([_(FINDINGS_HEAD), *(f"- {' '.join(f.split())}" for f in findings)])
    message = console_safe(shorten(text, MESSAGE_CHARS))
    return [{**t, "message": f"{message}\n\n{t['message']}" if t["message"] else message} if t is first else t
            for t in tests]


def classroom(sub: SubmissionResult) -> dict[str, Any]:
    """The reporter's JSON for one submission; the sum of its tests' scores is sub.score."""
    tests = with_grade_override(with_findings(test_entries(sub), sub.findings), sub)
    states = {t["status"] for t in tests}
    overall = "pass" if states <= {"pass"} else "fail" if "fail" in states else "error"
    return {"version": VERSION, "status": overall, "max_score": sub.max_score, "tests": tests}


def encode(sub: SubmissionResult) -> str:
    """The step output's value: base64 of the compact JSON, on one line."""
    text = json.dumps(classroom(sub), ensure_ascii=False, separators=(",", ":"))
    return base64.b64encode(text.encode()).decode("ascii")


def write_output(sub: SubmissionResult, path: Path, name: str = "result") -> Path:
    """Append `result=<base64>` to a $GITHUB_OUTPUT file (appended to: other steps' outputs stay)."""
    with path.open("a", encoding="utf-8") as f:
        f.write(f"{name}={encode(sub)}\n")
    return path


def output_file(environ: Mapping[str, str] | None = None) -> Path | None:
    """$GITHUB_OUTPUT inside GitHub Actions (GITHUB_ACTIONS=true), else None."""
    env = os.environ if environ is None else environ
    if env.get("GITHUB_ACTIONS") == "true" and env.get("GITHUB_OUTPUT"):
        return Path(env["GITHUB_OUTPUT"])
    return None
