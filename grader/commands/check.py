"""`grade check [FOLDER] -a LAB`: students grade their own work with the lab's visible tests before handing it in.

Theory of operation. The same grading as `grade` (one pytest run for the submission, the same
sandbox backends, the same feedback), on the lab's visible scenarios and the scenarios they
require (classrun.with_requirements: a requirement runs, hidden or not, so that what requires it
is graded as it will be; only the visible tests are shown), and the checks written in Python
(shown when visible). LAB is a bundled lab, an assignment folder, or the student edition that
`grade publish` writes (grader/edition.py), whose note says how many tests it leaves out.
Nothing is written: no report, no cache; the submission is only read (its files are staged into
a temporary folder, as `grade` does), and the run's log goes to a temporary folder, removed.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from pathlib import Path

from ..assignment import Assignment, find_assignment, load_assignment
from ..classrun import grade_class, with_requirements
from ..cli import ExitCode
from ..discovery import infer_lab
from ..edition import left_out_of
from ..errors import UsageError
from ..i18n import N_, _, for_assignment, lang_option
from ..results import SubmissionResult, TestResult
from ..run import SIDE_BY_SIDE, at_least_one
from ..sandbox import BACKENDS, open_backend
from ..text import visible

STATUS = {"passed": N_("passed"), "failed": N_("FAILED"), "not_run": N_("not run")}
CHECKING = N_("Checking {folder} with the visible tests of {lab} ({title}), in the {backend} sandbox...")
ABOUT_HANDIN = N_("About your hand-in (fix these first):")
FEEDBACK = N_("---- {status}: {name} ({score:g} / {points:g} points) ----")
LINE = "  {status:<8} {score:>5g} / {points:<5g} {name}"
TOTAL = N_("Visible tests: {score:g} / {points:g} points; {passed} of {count} passed.")
LEFT = N_("{count} more test(s), worth {points:g} points, are hidden: they run only when your work is graded, "
          "after you hand in.")
ALL = N_("These are all the tests of the lab.")
ALL_PASSED = N_("Every visible test passed.")
GRADER_FAILED = N_("The grader failed on some test (not a problem in your work): run the check again; if it fails "
                   "again, tell your instructor.")
NOT_GRADED = N_("Your work could not be checked: {why}")


def check_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grade check",
                                description=_("Run a lab's visible tests on your work, as it will be graded, and print "
                                              "the feedback. Writes nothing."))
    p.add_argument("folder", nargs="?", type=Path, default=Path("."), metavar="FOLDER",
                   help=_("the folder of your work (default: the current folder)"))
    p.add_argument("-a", "--assignment", metavar="LAB",
                   help=_("the lab: its name, or the folder your instructor gave you (the student edition); "
                          "inferred from the folder's name (a GitHub Classroom repository) if omitted"))
    p.add_argument("--backend", choices=["auto", *BACKENDS], default="auto",
                   help=_("sandbox (default: auto, the first of docker, local, process that works here)"))
    p.add_argument("--side-by-side", type=at_least_one, default=SIDE_BY_SIDE, metavar="N",
                   help=_("tests run at once, each in its own sandbox (default: {n})").format(n=SIDE_BY_SIDE))
    lang_option(p)
    return p


def report(result: SubmissionResult, left: tuple[int, float]) -> list[str]:
    """What the student reads: the feedback of each failed visible test, then every visible test
    with its points, the total, and the tests not run here (`left`: how many, their points)."""
    shown = [t for t in result.tests if t.visibility == "visible"]
    lines = [_(ABOUT_HANDIN), *(f"  - {f}" for f in result.findings), ""] if result.findings else []
    for t in shown:
        if t.status != "passed":
            lines += [_(FEEDBACK).format(status=_(STATUS[t.status]), name=t.name, score=t.score, points=t.max_score),
                      t.student_output, ""]
    lines += [LINE.format(status=_(STATUS[t.status]), score=t.score, points=t.max_score, name=t.name) for t in shown]
    passed = sum(t.status == "passed" for t in shown)
    lines += ["", _(TOTAL).format(score=sum(t.score for t in shown), points=sum(t.max_score for t in shown),
                               passed=passed, count=len(shown))]
    lines.append(_(LEFT).format(count=left[0], points=left[1]) if left[0] else _(ALL))
    return [visible(line) for line in lines]


def not_shown(assignment: Assignment, tests: tuple[TestResult, ...],
              edition: tuple[int, float] | None) -> tuple[int, float]:
    """How many tests of the lab, and points, a student does not see here: its hidden scenarios
    (run or not), its hidden checks written in Python (known once run), what the edition left out."""
    scenarios = {s.name for s in assignment.scenarios}
    points = [s.points for s in assignment.scenarios if s.visibility != "visible"]
    points += [t.max_score for t in tests if t.visibility != "visible" and t.name not in scenarios]
    count, total = edition or (0, 0.0)
    return count + len(points), total + sum(points)


def cmd_check(argv: list[str]) -> int:
    args = check_parser().parse_args(argv)
    folder: Path = args.folder
    if not folder.exists():
        raise UsageError(f"{folder}: no such folder (give the folder of your work, or run `grade check` inside it)")
    folder = folder.resolve()  # "." is called by its name in the reports
    lab = find_assignment(args.assignment or infer_lab(folder, [folder]))
    assignment = for_assignment(load_assignment(lab), args.lang)
    run = with_requirements(assignment, {s.name for s in assignment.scenarios if s.visibility == "visible"})
    graded = replace(assignment, scenarios=tuple(s for s in assignment.scenarios if s.name in run))
    backend = open_backend(args.backend)
    try:
        side_by_side = 1 if backend.one_at_a_time else args.side_by_side
        print(visible(_(CHECKING).format(folder=folder, lab=assignment.name, title=assignment.title,
                                      backend=backend.name)), flush=True)
        with tempfile.TemporaryDirectory(prefix="labgrade-check-") as tmp:
            result = grade_class(graded, [folder], backend.name, 1, Path(tmp) / "logs", side_by_side=side_by_side,
                                 sandbox=backend).submissions[0]
    finally:
        backend.close()
    print()
    if result.error:
        print(visible(_(NOT_GRADED).format(why=result.error.splitlines()[0])))
        return ExitCode.INTERNAL_ERROR
    left = not_shown(assignment, result.tests, left_out_of(lab))
    print("\n".join(report(result, left)))
    shown = [t for t in result.tests if t.visibility == "visible"]
    if any(t.error for t in shown):
        print(_(GRADER_FAILED))
        return ExitCode.INTERNAL_ERROR
    if all(t.status == "passed" for t in shown):
        print(_(ALL_PASSED))
        return ExitCode.OK
    return ExitCode.CHECK_FAILED
