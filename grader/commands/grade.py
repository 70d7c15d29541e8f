"""`grade SUBMISSIONS`: grade a class (the default command), its reports and the summary table."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from .. import __version__
from ..assignment import find_assignment, load_assignment
from ..cache import ResultCache, default_cache_dir
from ..classrun import Interrupted
from ..cli import ExitCode
from ..discovery import infer_lab, other_lab
from ..errors import UsageError
from ..handin import find_submissions, submission_name
from ..i18n import _, for_assignment, numeral
from ..merge import write_shard_note
from ..outdir import clear_stale
from ..overrides import apply_overrides, class_overrides, overrides_option
from ..report import ReportError, write_all, write_single
from ..report.github import report_to_actions
from ..report.gradebook import scenario_order
from ..results import ClassResult, SubmissionResult
from ..shard import Shard
from ..text import visible
from ..ungraded import needs_attention
from .classprogress import run_class
from .common import common_options, console, say_stale


def grade_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grade", description=_("Grade TCP socket lab submissions in a sandbox."),
                                epilog=_("Sub-commands: `grade new LAB` makes a lab to start from; `grade scenarios "
                                         "LAB` lists its scenarios; `grade selfcheck LAB` checks them against its "
                                         "reference and mutants; `grade gradescope-package -a LAB` builds the "
                                         "Gradescope autograder zip; `grade classroom init -a LAB` writes a GitHub "
                                         "Classroom workflow; `grade merge OUT_DIR...` combines the folders of "
                                         "`--shard` runs; `grade cache info|clear` shows or empties the result cache; "
                                         "`grade publish LAB -o DIR` writes a lab's student edition; `grade check "
                                         "[FOLDER] -a LAB` runs its visible tests on a student's work."))
    p.add_argument("--version", action="version", version=f"labgrade {__version__}",
                   help=_("show program's version number and exit"))  # argparse's default, which it does not translate
    p.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                   help=_("a folder of submission folders, or one submission folder"))
    p.add_argument("-a", "--assignment", metavar="NAME_OR_PATH",
                   help=_("lab name (in assignments/) or assignment folder; inferred from folder names if omitted"))
    common_options(p)
    p.add_argument("-o", "--out", type=Path, default=Path("grading-report"), metavar="DIR",
                   help=_("where reports go (default: grading-report/); what an earlier run wrote there for "
                          "submissions this one does not grade is removed"))
    p.add_argument("--shard", type=_shard, metavar="K/N",
                   help=_("grade only shard K of N: the submissions whose name hashes to K (see `grade merge`)"))
    p.add_argument("--cache-dir", type=Path, metavar="DIR",
                   help=_("where results are cached (default: $LABGRADE_CACHE, else $XDG_CACHE_HOME/labgrade "
                          "or ~/.cache/labgrade)"))
    p.add_argument("--no-cache", action="store_true", help=_("grade everything again, and leave the cache as it is"))
    p.add_argument("--gradescope-results", type=Path, metavar="FILE",
                   help=_("SUBMISSIONS is one submission (its files anywhere in it): also write its Gradescope "
                          "results.json to FILE (run_autograder does)"))
    p.add_argument("--classroom-output", type=Path, metavar="FILE",
                   help=_("SUBMISSIONS is one submission: append its GitHub Classroom result (result=BASE64) to FILE; "
                          "in GitHub Actions the default is $GITHUB_OUTPUT"))
    overrides_option(p)
    return p


def _shard(text: str) -> Shard:
    try:
        return Shard.parse(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def keep_interrupted(stop: Interrupted, out: Path, cached: bool) -> None:
    """Ctrl-C: the reports of what was graded, and what was not."""
    kept = stop.partial.submissions
    if kept:
        write_all(stop.partial, out)
    counts = dict(kept=len(kept), out=out, kept_names=", ".join(s.name for s in kept), left=len(stop.not_graded),
                  left_names=", ".join(stop.not_graded))
    said = (_("Interrupted: kept {kept} graded submission(s) in {out}/ ({kept_names}); not graded: {left} "
              "({left_names})") if kept and stop.not_graded
            else _("Interrupted: kept {kept} graded submission(s) in {out}/ ({kept_names}); not graded: {left}") if kept
            else _("Interrupted: kept {kept} graded submission(s); not graded: {left} ({left_names})")).format(**counts)
    again = " " + _("Run the same command again: what was graded comes from the cache.") if cached and kept else ""
    console.print(escape(visible(f"{said}.{again}")), soft_wrap=True)


def summary_note(s: SubmissionResult) -> str:
    """What the summary says beside a submission's score, the most urgent first; "" when the score
    and failed tags say it all."""
    errors_ = sum(t.error for t in s.tests)
    not_run = sum(t.status == "not_run" for t in s.tests)
    if s.error:
        return _("not graded: {why} (see logs/)").format(why=s.error.splitlines()[0])
    if errors_:
        return _("{n} grader error(s), not the student's fault: see logs/").format(n=errors_)
    if len(s.findings) > 1:
        return _("{finding} (and {n} more finding(s): see report.html)").format(finding=s.findings[0],
                                                                                n=len(s.findings) - 1)
    if s.findings:
        return s.findings[0]
    if not_run:  # without a finding, a test is not run because a test it requires did not pass
        return _("{n} test(s) not run: a test they require did not pass").format(n=not_run)
    return ""


def summary(result: ClassResult) -> Table:
    # the scenarios as report.html counts them: every test graded, YAML scenarios and checks written in Python
    table = Table(title=escape(_("{lab}: {n} submission(s), {m} scenario(s)").format(
        lab=result.assignment, n=len(result.submissions), m=len(scenario_order(result)))))
    notes = [summary_note(s) for s in result.submissions]
    overridden = any(s.overrides for s in result.submissions)
    table.add_column(_("submission"))
    table.add_column(_("score"), justify="right")
    table.add_column(_("failed tags"))
    for column in [*([_("note")] if any(notes) else []), *([_("set by the instructor (--overrides)")] if overridden
                                                           else [])]:
        table.add_column(escape(column))
    for s, note in zip(result.submissions, notes, strict=True):
        table.add_row(escape(visible(s.name)), f"{numeral(s.score, 'g')} / {numeral(s.max_score, 'g')}",
                      ", ".join(s.failed_tags) or "-",
                      *([escape(visible(note))] if any(notes) else []),
                      *([escape(visible("; ".join(s.override_lines())))] if overridden else []))
    return table


def cmd_grade(argv: list[str]) -> ExitCode:
    args = grade_parser().parse_args(argv)
    one = bool(args.gradescope_results or args.classroom_output)  # a platform's upload: one submission, any layout
    if one and not args.submissions.exists():
        raise UsageError(_("{path}: no such file or folder").format(path=args.submissions))
    lab = args.assignment or infer_lab(args.submissions, find_submissions(args.submissions, ()))
    assignment = for_assignment(load_assignment(find_assignment(lab)), args.lang)
    subs = [args.submissions] if one else find_submissions(args.submissions, assignment.handin)
    if args.assignment and (named := other_lab(assignment.name, args.submissions, subs)):
        console.print(escape(_("warning: grading as {lab} (-a), but the folder names start with {named}, another lab "
                               "(GitHub Classroom names clones <assignment>-<login>): is -a right?").format(
            lab=assignment.name, named=named)), soft_wrap=True)
    overrides = class_overrides(args.overrides, assignment, map(submission_name, subs))  # the whole class's
    if args.shard:
        subs = args.shard.select(subs)
        console.print(_("Shard {shard}: {n} submission(s)").format(shard=args.shard, n=len(subs)))
    write_shard_note(args.out, str(args.shard) if args.shard else None)  # `grade merge` checks that no shard is missing
    say_stale(clear_stale(args.out, [submission_name(s) for s in subs]))
    cache = None if args.no_cache else ResultCache(args.cache_dir or default_cache_dir())
    try:
        result = apply_overrides(run_class(assignment, subs, args, cache), overrides)
    except Interrupted as stop:
        stop.partial = apply_overrides(stop.partial, overrides)
        keep_interrupted(stop, args.out, cache is not None)
        return ExitCode.INTERRUPTED
    try:
        write_all(result, args.out)
        unwritten = ""
    except ReportError as e:  # the other reports are written: say which is not, and go on
        unwritten = str(e)
    report_to_actions(result)  # in GitHub Actions only: job summary and annotations
    write_single(result, args.gradescope_results, args.classroom_output)  # Gradescope, GitHub Classroom
    console.print(summary(result))
    if unwritten:
        said = escape(_("error:"))
        console.print(f"[bold red]{said}[/] {escape(unwritten)}", soft_wrap=True)
    console.print(escape(_("Reports in {out}/: results.json, grades.csv, junit.xml, report.html, and a Gradescope "
                           "results.json per submission").format(out=args.out)))
    faulty = [s.name for s in result.submissions if needs_attention(s)]
    if unwritten and not faulty:
        return ExitCode.INTERNAL_ERROR
    if faulty:
        console.print(_("[bold red]The grader failed[/] on {n} submission(s) ({names}): their tests marked as grader "
                        "errors are not the students' fault; see {out}/logs/ (exit status 3)").format(
            n=len(faulty), names=escape(visible(", ".join(faulty[:10]))), out=escape(str(args.out))), soft_wrap=True)
        return ExitCode.INTERNAL_ERROR
    return ExitCode.OK
