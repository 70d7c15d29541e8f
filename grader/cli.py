"""`grade`: grade a class (the default command) and the sub-commands around it.

    grade SUBMISSIONS [-a LAB] [--backend auto|local|docker|process] [-j N] [-o DIR]
    grade selfcheck LAB [--backend ...] [-j N] [-v]
    grade new LAB [--dir DIR]                 (grader/newlab.py)
    grade scenarios LAB                       (grader/listing.py)
    grade merge OUT_DIR... [-o OUT]           (the shards of a `grade --shard K/N` run)
    grade cache info|clear [--cache-dir DIR]
    grade gradescope-package -a LAB [-o FILE.zip]                 (grader/gradescope.py)
    grade classroom init -a LAB [--repo DIR] [--install SPEC]     (grader/classroom.py)
    grade check [FOLDER] [-a LAB]             (grader/check.py: a student's own check, visible tests only)
    grade publish LAB -o DIR                  (grader/edition.py: the student edition of a lab)
"""

from __future__ import annotations

import argparse
import enum
import os
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from . import __version__
from .assignment import Assignment, find_assignment, load_assignment
from .cache import ResultCache, cmd_cache, default_cache_dir
from .check import cmd_check
from .classroom import cmd_classroom
from .classrun import Graded, Interrupted, Shard, grade_class, infer_lab, needs_attention, other_lab
from .driver.runner import SETTLE_CPU
from .edition import cmd_publish
from .errors import AssignmentError, GraderError, SandboxUnavailable, UsageError
from .gradescope import cmd_gradescope_package
from .handin import find_submissions, submission_name
from .i18n import _, choose, for_assignment, lang_in, lang_option, numeral, use
from .image import cmd_image
from .listing import cmd_scenarios
from .merge import cmd_merge, write_shard_note
from .mutants import materialize, mutants_of
from .newlab import cmd_new
from .outdir import Stale, clear_stale, earlier_run
from .overrides import apply_overrides, class_overrides, overrides_option
from .reference import copy_reference
from .report import ReportError, write_all, write_single
from .report.github import report_to_actions
from .report.gradebook import scenario_order
from .results import ClassResult, SubmissionResult
from .run import SIDE_BY_SIDE, at_least_one
from .sandbox import BACKENDS, Sandbox, open_backend
from .text import closest, visible


class ExitCode(enum.IntEnum):
    OK = 0
    CHECK_FAILED = 1  # selfcheck: a reference or mutant did not score as declared
    USAGE_ERROR = 2  # bad arguments, assignment or scenario file
    INTERNAL_ERROR = 3  # grading completed, but the grader failed on some test: an instructor must look
    NO_SANDBOX = 4  # no sandbox can be made on this machine: nothing was graded (run_autograder gives no grade)
    INTERRUPTED = 130


console = Console(stderr=False, highlight=False)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=["auto", *BACKENDS], default="auto",
                        help=_("sandbox: local Linux namespaces, Docker containers, or (inside a container that "
                               "allows neither) a uid per scenario (default: auto, in that order of preference)"))
    parser.add_argument("-j", "--jobs", type=at_least_one, default=os.cpu_count() or 1, metavar="N",
                        help=_("submissions graded at once (default: number of CPUs)"))
    parser.add_argument("--side-by-side", type=at_least_one, default=SIDE_BY_SIDE, metavar="N",
                        help=_("scenarios of a submission graded at once, each in its own sandbox (default: "
                               "{n}; 1: one after another); the grades are the same").format(n=SIDE_BY_SIDE))
    lang_option(parser)


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
    _common(p)
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


def _duration(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    return f"{m // 60}:{m % 60:02d}:{s:02d}" if m >= 60 else f"{m}:{s:02d}"


class _StateColumn(ProgressColumn):
    def __init__(self, progress: ClassProgress) -> None:
        super().__init__()
        self.progress = progress

    def render(self, task: Task) -> Text:
        return Text(self.progress.state())


class ClassProgress:
    """Submissions done, running and failed (not graded, or a grader error: see needs_attention),
    and the time left (the finish the pace so far projects, minus now): a live bar on a
    terminal, and a plain line per finished submission elsewhere (CI logs get no escape codes)."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.running, self.failed = total, 0, 0, 0
        self.started_at = time.monotonic()
        self.projected_end: float | None = None
        self.lock = threading.Lock()
        self.live = console.is_terminal
        self.bar = Progress(TextColumn(escape(_("grading"))), BarColumn(), MofNCompleteColumn(), _StateColumn(self),
                            TimeElapsedColumn(), console=console, transient=True, disable=not self.live)
        self.task = self.bar.add_task("grading", total=total)

    def state(self) -> str:
        if self.projected_end is not None and self.done < self.total:
            left = _duration(max(0.0, self.projected_end - time.monotonic()))
            return _("{running} running, {failed} failed, ~{left} left").format(running=self.running,
                                                                                 failed=self.failed, left=left)
        return _("{running} running, {failed} failed").format(running=self.running, failed=self.failed)

    def on_start(self, name: str) -> None:
        with self.lock:
            self.running += 1

    def on_graded(self, graded: Graded) -> None:
        r = graded.result
        with self.lock:
            self.running = max(0, self.running - 1)
            self.done += 1
            self.failed += needs_attention(r)
            now = time.monotonic()
            self.projected_end = self.started_at + (now - self.started_at) / self.done * self.total
            self.bar.update(self.task, completed=self.done)
            errors = sum(t.error for t in r.tests)
            note = (_("not graded: {why}").format(why=r.error.splitlines()[0]) if r.error
                    else _("{n} grader error(s)").format(n=errors) if errors
                    else _("from the cache") if graded.cached == len(r.tests)
                    else _("{seconds:.1f} s").format(seconds=graded.seconds))
            line = visible(f"[{self.done}/{self.total}] {r.name}: {numeral(r.score, 'g')} / "
                           f"{numeral(r.max_score, 'g')} ({note}); {self.state()}")
            if not self.live or needs_attention(r):
                (self.bar.console if self.live else console).print(escape(line), soft_wrap=True)

    def __enter__(self) -> ClassProgress:
        self.bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.__exit__(None, None, None)


def fixed_times(assignment: Assignment) -> str:
    """The fixed times of this run, for its log: every other wait ends on an event (README,
    "Settled, not slept"), and a correct program never waits for these."""
    rates = [_("{scenario!r}: {measure} over {over} s").format(scenario=s.name, measure=a["measure"], over=a["over"])
             for s in assignment.scenarios for step in s.steps
             for verb, a in step.items() if verb == "probe" and isinstance(a, dict) and "over" in a]
    if rates:
        return _("Fixed times: {settle:g} s of CPU time for each thread of a program that never sleeps to settle; "
                 "rates measured over a window, unless decided at once ({rates})").format(settle=SETTLE_CPU,
                                                                                          rates="; ".join(rates))
    return _("Fixed times: {settle:g} s of CPU time for each thread of a program that never sleeps to "
             "settle").format(settle=SETTLE_CPU)


def run_class(assignment: Assignment, subs: list[Path], args: argparse.Namespace,
              cache: ResultCache | None = None) -> ClassResult:
    """Grade the class with a progress display; raises Interrupted on Ctrl-C."""
    backend = open_backend(args.backend)  # open for the class: its pytest runs may share it (Sandbox.lend)
    try:
        return _run_class(assignment, subs, args, cache, backend)
    finally:
        backend.close()


def _run_class(assignment: Assignment, subs: list[Path], args: argparse.Namespace, cache: ResultCache | None,
               backend: Sandbox) -> ClassResult:
    if backend.one_at_a_time and (args.jobs > 1 or args.side_by_side > 1):
        console.print(escape(_("The {backend} sandbox shares this machine's network: one scenario at a time "
                               "(-j 1, --side-by-side 1)").format(backend=backend.name)), soft_wrap=True)
        args.jobs = args.side_by_side = 1
    what = dict(n=len(subs), lab=f"[bold]{escape(assignment.name)}[/]", backend=f"[bold]{backend.name}[/]",
                jobs=args.jobs)
    console.print(_("Grading {n} submission(s) of {lab} with the {backend} sandbox, {jobs} at a time; cache: "
                    "{cache}").format(**what, cache=escape(str(cache.root))) if cache else
                  _("Grading {n} submission(s) of {lab} with the {backend} sandbox, {jobs} at a time").format(**what),
                  soft_wrap=True)
    console.print(escape(fixed_times(assignment)), soft_wrap=True)
    with ClassProgress(len(subs)) as progress:
        return grade_class(assignment, subs, backend.name, args.jobs, args.out / "logs", cache=cache,
                           on_start=progress.on_start, on_graded=progress.on_graded,
                           side_by_side=args.side_by_side, sandbox=backend,
                           transcripts=getattr(args, "transcripts", False))  # grade selfcheck -v


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


def say_stale(stale: Stale) -> None:
    for message in stale.messages():
        console.print(escape(visible(message)), soft_wrap=True)


# -- selfcheck ------------------------------------------------------------------------------

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
    _common(p)
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


COMMANDS = {"selfcheck": cmd_selfcheck, "image": cmd_image, "merge": cmd_merge, "cache": cmd_cache,
            "gradescope-package": cmd_gradescope_package,
            "classroom": cmd_classroom,
            "check": cmd_check, "publish": cmd_publish, "new": cmd_new, "scenarios": cmd_scenarios}


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM (a CI job cancelled, `kill`): stop as on Ctrl-C


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    use(choose(lang_in(argv), None))  # until a lab is loaded: its argument errors, a lab that does not load
    on_term = signal.signal(signal.SIGTERM, interrupt) if threading.current_thread() is threading.main_thread() \
        else None
    try:
        if argv and argv[0] in COMMANDS:
            return int(COMMANDS[argv[0]](argv[1:]))
        if argv and not argv[0].startswith("-") and not os.path.lexists(argv[0]) and \
                (close := closest(argv[0], COMMANDS)):  # a mistyped sub-command, not SUBMISSIONS
            raise UsageError(_("unknown command {name!r}: did you mean {close!r}?").format(name=argv[0], close=close))
        return int(cmd_grade(argv))
    except AssignmentError as e:
        print(_("error in the assignment: {message}").format(message=e), file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except SandboxUnavailable as e:
        print(_("error: {message}").format(message=e), file=sys.stderr)
        return ExitCode.NO_SANDBOX
    except GraderError as e:
        print(_("error: {message}").format(message=e), file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except KeyboardInterrupt:
        print(_("interrupted"), file=sys.stderr)
        return ExitCode.INTERRUPTED
    finally:
        if on_term is not None:
            signal.signal(signal.SIGTERM, on_term)


if __name__ == "__main__":
    sys.exit(main())
