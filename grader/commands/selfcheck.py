"""`grade selfcheck LAB`: the lab's reference must score 100%, each mutant lose points under its declared tags only."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from ..assignment import find_assignment, load_assignment
from ..cli import ExitCode
from ..errors import UsageError
from ..i18n import _, for_assignment, numeral
from ..mutants import materialize, mutants_of
from ..outdir import clear_stale, earlier_run
from ..reference import copy_reference
from ..report import write_all
from ..results import ClassResult, SubmissionResult
from .classprogress import run_class
from .common import common_options, console, say_stale


def selfcheck_verdict(sub: SubmissionResult, declared: set[str] | None) -> str:
    """'' when the submission scored as declared, else what is wrong."""
    if sub.error:
        return _("not graded: {why}").format(why=sub.error.splitlines()[0])
    if any(t.error for t in sub.tests):
        return _("grader errors: {tests}").format(tests=", ".join(t.name for t in sub.tests if t.error))
    if declared is None:
        lost_any = [t for t in sub.tests if t.status != "passed"]
        return _("reference lost points: {tests}").format(tests="; ".join(t.name for t in lost_any)) if lost_any else ""
    failed = [t for t in sub.tests if t.status == "failed"]  # a test not run failed under none of its tags
    lost = {tag for t in failed for tag in t.tags}
    problems = [_("did not lose points under {tag!r}").format(tag=tag) for tag in sorted(declared - lost)]
    problems += [_("also failed {test!r} under {tags}").format(test=t.name, tags=sorted(set(t.tags) - declared))
                 for t in failed if set(t.tags) - declared]
    return "; ".join(problems)


def toothless(result: ClassResult) -> list[str]:
    """The tests that no known-bad variant fails: nothing shows they bite."""
    mutants = [s for s in result.submissions if s.name != "reference"]
    names = [t.name for t in result.submissions[0].tests] if result.submissions else []
    return [n for n in names if not any(t.name == n and t.status == "failed" for s in mutants for t in s.tests)]


SELFCHECK_REPORT = Path("selfcheck-report")  # selfcheck's reports: selfcheck-report/LAB/


def refuse_class_reports(out: Path, lab: str) -> None:
    """Selfcheck writes only where a selfcheck of this lab wrote, or where nothing was graded: never over a
    class's reports (whose results.json has no "reference" among its submissions)."""
    earlier = earlier_run(out)
    if earlier and (earlier.assignment != lab or "reference" not in {s.name for s in earlier.submissions}):
        raise UsageError(_("{out}/ holds the reports of a class ({lab}, {n} submission(s)), not of a selfcheck of "
                           "{selfchecked}: give selfcheck another folder with -o (default: {default}/)").format(
            out=out, lab=earlier.assignment, n=len(earlier.submissions), selfchecked=lab,
            default=SELFCHECK_REPORT / lab))


def cmd_selfcheck(argv: list[str]) -> ExitCode:
    p = argparse.ArgumentParser(prog="grade selfcheck",
                                description=_("Grade the lab's reference (must score 100%) and every mutant (must "
                                              "lose points under its declared tags, and only there)."))
    p.add_argument("lab", metavar="LAB", help=_("lab name or assignment folder"))
    common_options(p)
    p.add_argument("-o", "--out", type=Path, metavar="DIR",
                   help=_("where reports go (default: selfcheck-report/LAB/, apart from a class's grading-report/)"))
    p.add_argument("-v", "--transcripts", action="store_true",
                   help=_("keep the transcript of every test in the reports, passed ones too: what a mutant that "
                          "loses no points did"))
    args = p.parse_args(argv)
    assignment = for_assignment(load_assignment(find_assignment(args.lab)), args.lang)
    args.out = args.out or SELFCHECK_REPORT / assignment.name
    refuse_class_reports(args.out, assignment.name)
    declared: dict[str, set[str] | None] = {"reference": None}
    with tempfile.TemporaryDirectory(prefix="labgrade-selfcheck-") as tmp:
        subs = [Path(tmp) / "reference"]
        copy_reference(assignment, subs[0])
        for m in mutants_of(assignment):
            declared[m.name] = set(m.fails)
            subs.append(materialize(assignment, m, Path(tmp) / m.name))
        say_stale(clear_stale(args.out, declared))
        # no cache: selfcheck proves that the scenarios bite, on this machine, now (a flaky scenario must show)
        result = run_class(assignment, subs, args)
    table = Table(title=escape(_("selfcheck {lab}").format(lab=assignment.name)))
    for col in (_("variant"), _("score"), _("must fail"), _("failed tags"), _("verdict")):
        table.add_column(escape(col))
    bad, fail, ok = 0, escape(_("FAIL")), escape(_("ok"))
    for sub in result.submissions:
        problem = selfcheck_verdict(sub, declared[sub.name])
        bad += bool(problem)
        must = ", ".join(sorted(declared[sub.name] or [])) or _("nothing")
        table.add_row(escape(sub.name), f"{numeral(sub.score, 'g')} / {numeral(sub.max_score, 'g')}", escape(must),
                      ", ".join(sub.failed_tags) or "-",
                      f"[red]{fail}[/] {escape(problem)}" if problem else f"[green]{ok}[/]")
    console.print(table)
    write_all(result, args.out)
    if not declared.keys() - {"reference"}:
        console.print(escape(_("warning: {lab} has no mutant: nothing shows that its scenarios bite (add known-bad "
                               "variants in {folder}/)").format(lab=assignment.name,
                                                                folder=assignment.root / "mutants")), soft_wrap=True)
    elif idle := toothless(result):
        console.print(escape(_("warning: no mutant fails {tests}: add one that only this scenario catches").format(
            tests="; ".join(f"'{n}'" for n in idle))), soft_wrap=True)
    console.print(escape(_("{ok} of {n} variants scored as declared; reports in {out}/").format(
        ok=len(result.submissions) - bad, n=len(result.submissions), out=args.out)), soft_wrap=True)
    return ExitCode.CHECK_FAILED if bad else ExitCode.OK

