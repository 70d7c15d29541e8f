"""The summary table `grade` prints: a note where something is worth saying, no note column when nothing is."""

from __future__ import annotations

from rich.console import Console

from grader.commands.grade import summary
from grader.results import ClassResult, SubmissionResult
from grader.results import TestResult as Result  # aliased: pytest would try to collect Test*
from grader.ungraded import with_every_test

ONE = Result("server echoes one line", ("protocol",), 2.0, 2.0, "passed", "Passed.")
TWO = Result("a second client is served", ("concurrency",), 3.0, 3.0, "passed", "Passed.")


def shown(result: ClassResult) -> list[list[str]]:
    """The table as printed, one list of cells per line (a wide console: no cell wraps)."""
    console = Console(width=400, record=True, color_system=None)
    console.print(summary(result))
    lines = console.export_text().splitlines()
    return [[cell.strip() for cell in line.strip("│┃").split("│" if "│" in line else "┃")] for line in lines
            if line.startswith(("│", "┃"))]


def test_every_row_with_something_to_say_has_its_note() -> None:
    subs = (
        SubmissionResult("ann", (ONE, TWO)),  # full marks: nothing to say
        SubmissionResult("bob", (ONE, Result(TWO.name, TWO.tags, 0.0, 3.0, "failed", "boom", error=True))),
        SubmissionResult("cat", (), error="pytest exited with code 3\nTraceback..."),
        SubmissionResult("dan", (ONE, TWO), findings=("server.py was found in TP2/: graded from there.",
                                                      "client.py is missing.")),
        SubmissionResult("eve", (Result(ONE.name, ONE.tags, 0.0, 2.0, "failed", "Failed at step 2"),
                                 Result(TWO.name, TWO.tags, 0.0, 3.0, "not_run", "Not run: requires 'x'"))),
    )
    rows = shown(ClassResult("echo-concurrent", subs))
    assert rows[0] == ["submission", "score", "failed tags", "note"]
    assert rows[1:] == [
        ["ann", "5 / 5", "-", ""],
        ["bob", "2 / 5", "-", "1 grader error(s), not the student's fault: see logs/"],
        ["cat", "0 / 0", "-", "not graded: pytest exited with code 3 (see logs/)"],
        ["dan", "5 / 5", "-",
         "server.py was found in TP2/: graded from there. (and 1 more finding(s): see report.html)"],
        ["eve", "0 / 5", "protocol", "1 test(s) not run: a test they require did not pass"],
    ]


def test_no_note_column_when_no_row_has_a_note() -> None:
    failed = Result(ONE.name, ONE.tags, 0.0, 2.0, "failed", "Failed at step 2")
    rows = shown(ClassResult("echo-concurrent", (SubmissionResult("ann", (ONE, TWO)),
                                                 SubmissionResult("bob", (failed, TWO)))))
    assert rows == [["submission", "score", "failed tags"], ["ann", "5 / 5", "-"], ["bob", "3 / 5", "protocol"]]


def test_a_submission_not_graded_counts_the_checks_written_in_python_too() -> None:
    """Its maximum is the lab's: the checks another submission was graded with join it at 0, as
    grader errors (before: 31 of 33 on echo-concurrent, its Python check missing)."""
    check = Result("two clients take turns, 10 rounds", ("concurrency",), 2.0, 2.0, "passed", "Passed.")
    not_graded = Result(ONE.name, ONE.tags, 0.0, 2.0, "failed", "Not graded: timeout", error=True)
    subs = (SubmissionResult("cat", (not_graded,), error="grading did not finish"),
            SubmissionResult("ann", (ONE, check)))
    cat, ann = with_every_test(subs)
    assert ann == subs[1] and cat.max_score == ann.max_score == 4.0 and cat.score == 0
    assert cat.tests[1].name == check.name and cat.tests[1].error and cat.tests[1].output == "Not graded: timeout"
    assert with_every_test(subs[:1]) == subs[:1]  # nobody graded: nothing to learn the checks from
