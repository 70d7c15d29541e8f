"""Findings: a program that never started is reported once, with its evidence in one test, and
the tests it prevented are not run; anything less consistent is left as it is."""

from __future__ import annotations

from grader.findings import not_run, not_run_why, start_findings
from grader.i18n import use
from grader.results import SubmissionResult, TestResult

REASON = "server.py does not compile: line 3: expected ':'"


def result(name: str, status: str = "failed", started: dict[str, str] | None = None,
         tags: tuple[str, ...] = ("protocol",)) -> TestResult:
    return TestResult(name, tags, 2.0 if status == "passed" else 0.0, 2.0, status, f"feedback of {name}",
                      started=started or {})


def test_one_cause_everywhere_is_one_finding_and_the_evidence_once() -> None:
    tests = [result("a", started={"server.py": REASON}), result("b", started={"server.py": REASON}, tags=("cleanup",)),
             result("client", "passed", started={"client.py": ""}), result("c", started={"server.py": REASON})]
    findings, out = start_findings(tests)
    assert findings == [REASON]
    assert [t.status for t in out] == ["failed", "not_run", "passed", "not_run"]
    assert out[0].output == "feedback of a"  # the traceback, once
    assert out[1].output.startswith(f"Not run: {REASON}.\n") and out[1].score == 0.0
    assert SubmissionResult("s", tuple(out)).failed_tags == ["protocol"]  # not under cleanup


def test_a_program_that_started_somewhere_is_not_grouped() -> None:
    tests = [result("a", started={"server.py": REASON}), result("b", "passed", started={"server.py": ""})]
    assert start_findings(tests) == ([], tests)


def test_different_reasons_are_not_grouped() -> None:
    tests = [result("a", started={"client.py": "client.py stops at once: IndexError: list index out of range"}),
             result("b", started={"client.py": "client.py stops at once: ValueError: bad port"})]
    assert start_findings(tests) == ([], tests)


def test_a_grader_error_is_never_turned_into_not_run() -> None:
    broken = TestResult("b", ("protocol",), 0.0, 2.0, "failed", "the grader failed", error=True,
                        started={"server.py": REASON})
    _, out = start_findings([result("a", started={"server.py": REASON}), broken])
    assert out[1] == broken


def test_not_run_scores_nothing_and_says_why() -> None:
    t = not_run(result("x", "passed"), "requires 'gate', which did not pass")
    assert (t.status, t.score, t.output, t.error) == ("not_run", 0.0, "Not run: requires 'gate', which did not pass",
                                                       False)
    assert not_run(result("x"), "requires 'gate', which the grader could not grade", True).error


def test_a_grader_error_fails_under_none_of_the_students_tags() -> None:
    """A grader fault is ours: the summary, report.html and the job summary never list its tags."""
    fault = TestResult("d", ("cleanup",), 0.0, 2.0, "failed", "the driver crashed", error=True)
    tests = (result("a"), fault)
    assert SubmissionResult("s", tests).failed_tags == ["protocol"]


def test_a_test_not_run_says_so_in_french_and_is_read_back_in_any_language() -> None:
    use("fr")
    try:
        _, out = start_findings([result(n, started={"server.py": REASON}) for n in ("a", "b")])
    finally:
        use("en")
    assert out[1].output.startswith(f"Non exécuté : {REASON}.\nCeci n'est signalé qu'une fois")
    assert not_run_why(out[1].output) == f"{REASON}."  # report.html and the job summary, in English too
