"""`grade`: grade a class (the default command) and the sub-commands around it.

    grade SUBMISSIONS [-a LAB] [--backend auto|local|docker] [-j N] [-o DIR]
    grade selfcheck LAB [--backend ...] [-j N]
"""

from __future__ import annotations

import argparse
import enum
import os
import shutil
import sys
import tempfile
from pathlib import Path

import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .assignment import Assignment, find_assignment, load_assignment
from .assignment.model import TAGS
from .classrun import find_submissions, grade_class, infer_lab
from .errors import AssignmentError, GraderError
from .image import cmd_image
from .report import write_all
from .report.github import report_to_actions
from .results import ClassResult, SubmissionResult
from .sandbox import open_backend


class ExitCode(enum.IntEnum):
    OK = 0
    CHECK_FAILED = 1  # selfcheck: a reference or mutant did not score as declared
    USAGE_ERROR = 2  # bad arguments, assignment or scenario file
    INTERRUPTED = 130


console = Console(stderr=False, highlight=False)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=["auto", "local", "docker"], default="auto",
                        help="sandbox: local Linux namespaces, or Docker containers (default: auto)")
    parser.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                        help="submissions graded at once (default: number of CPUs)")
    parser.add_argument("-o", "--out", type=Path, default=Path("grading-report"), metavar="DIR",
                        help="where reports go (default: grading-report/)")


def grade_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="grade", description="Grade TCP socket lab submissions in a sandbox.",
                                epilog="Sub-commands: `grade selfcheck LAB` checks a lab's scenarios against its "
                                       "reference and mutants.")
    p.add_argument("submissions", type=Path, metavar="SUBMISSIONS",
                   help="a folder of submission folders, or one submission folder")
    p.add_argument("-a", "--assignment", metavar="NAME_OR_PATH",
                   help="lab name (in assignments/) or assignment folder; inferred from folder names if omitted")
    _common(p)
    return p


def run_class(assignment: Assignment, subs: list[Path], backend_name: str, jobs: int, out: Path) -> ClassResult:
    backend = open_backend(backend_name)
    backend.close()
    console.print(f"Grading {len(subs)} submission(s) of [bold]{assignment.name}[/] "
                  f"({len(assignment.scenarios)} scenarios) "
                  f"with the [bold]{backend.name}[/] sandbox, {jobs} at a time")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("grading", total=len(subs))
        result = grade_class(assignment, subs, backend.name, jobs, out / "logs",
                             on_done=lambda r: progress.advance(task))
    return result


def summary(result: ClassResult) -> Table:
    table = Table(title=f"{result.assignment}: {len(result.submissions)} submission(s)")
    table.add_column("submission")
    table.add_column("score", justify="right")
    table.add_column("failed tags")
    table.add_column("note")
    for s in result.submissions:
        errors_ = sum(t.error for t in s.tests)
        note = "not graded: see logs" if s.error else f"{errors_} grader error(s)" if errors_ else ""
        table.add_row(s.name, f"{s.score:g} / {s.max_score:g}", ", ".join(s.failed_tags) or "-", note)
    return table


def cmd_grade(argv: list[str]) -> ExitCode:
    args = grade_parser().parse_args(argv)
    subs = find_submissions(args.submissions)
    lab = args.assignment or infer_lab(args.submissions, subs)
    assignment = load_assignment(find_assignment(lab))
    result = run_class(assignment, subs, args.backend, args.jobs, args.out)
    write_all(result, args.out)
    report_to_actions(result)  # in GitHub Actions only: job summary and annotations
    console.print(summary(result))
    console.print(f"Reports in {args.out}/: results.json, grades.csv, junit.xml, report.html, "
                  f"and a Gradescope results.json per submission")
    return ExitCode.OK


# -- selfcheck ------------------------------------------------------------------------------

def load_mutant(folder: Path) -> tuple[str, set[str]]:
    path = folder / "mutant.yaml"
    if not path.is_file():
        raise AssignmentError(path, None, "missing: each mutant declares `description:` and `fails: [tags]`")
    data = yaml.safe_load(path.read_text())
    fails = data.get("fails") if isinstance(data, dict) else None
    if not isinstance(fails, list) or not fails or any(t not in TAGS for t in fails):
        raise AssignmentError(path, None, f"`fails:` must list tags from: {', '.join(TAGS)}")
    return str(data.get("description", "")), set(fails)


def selfcheck_verdict(sub: SubmissionResult, declared: set[str] | None) -> str:
    """'' when the submission scored as declared, else what is wrong."""
    if sub.error:
        return f"not graded: {sub.error.splitlines()[0]}"
    if any(t.error for t in sub.tests):
        return "grader errors: " + ", ".join(t.name for t in sub.tests if t.error)
    failed = [t for t in sub.tests if t.status != "passed"]
    if declared is None:
        return "" if not failed else "reference lost points: " + "; ".join(t.name for t in failed)
    lost = {tag for t in failed for tag in t.tags}
    problems = [f"did not lose points under {tag!r}" for tag in sorted(declared - lost)]
    problems += [f"also failed {t.name!r} {list(t.tags)}" for t in failed if not declared & set(t.tags)]
    return "; ".join(problems)


def cmd_selfcheck(argv: list[str]) -> ExitCode:
    p = argparse.ArgumentParser(prog="grade selfcheck",
                                description="Grade the lab's reference (must score 100%) and every mutant (must "
                                            "lose points under its declared tags, and only there).")
    p.add_argument("lab", metavar="LAB", help="lab name or assignment folder")
    _common(p)
    args = p.parse_args(argv)
    assignment = load_assignment(find_assignment(args.lab))
    mutants = sorted(d for d in (assignment.root / "mutants").glob("*") if d.is_dir())
    declared: dict[str, set[str] | None] = {"reference": None}
    described: dict[str, str] = {"reference": "the course's solution"}
    with tempfile.TemporaryDirectory(prefix="labgrade-selfcheck-") as tmp:
        subs = [Path(tmp) / "reference"]
        shutil.copytree(assignment.reference, subs[0])
        for m in mutants:
            described[m.name], declared[m.name] = load_mutant(m)
            dest = Path(tmp) / m.name
            shutil.copytree(assignment.reference, dest)
            shutil.copytree(m, dest, dirs_exist_ok=True, ignore=shutil.ignore_patterns("mutant.yaml"))
            subs.append(dest)
        result = run_class(assignment, subs, args.backend, args.jobs, args.out)
    table = Table(title=f"selfcheck {assignment.name}")
    for col in ("variant", "score", "must fail", "failed tags", "verdict"):
        table.add_column(col)
    bad = 0
    for sub in result.submissions:
        problem = selfcheck_verdict(sub, declared[sub.name])
        bad += bool(problem)
        must = ", ".join(sorted(declared[sub.name] or [])) or "nothing"
        table.add_row(sub.name, f"{sub.score:g} / {sub.max_score:g}", must, ", ".join(sub.failed_tags) or "-",
                      f"[red]FAIL[/] {problem}" if problem else "[green]ok[/]")
    console.print(table)
    write_all(result, args.out)
    console.print(f"{len(result.submissions) - bad} of {len(result.submissions)} variants scored as declared")
    return ExitCode.CHECK_FAILED if bad else ExitCode.OK


COMMANDS = {"selfcheck": cmd_selfcheck, "image": cmd_image}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        if argv and argv[0] in COMMANDS:
            return int(COMMANDS[argv[0]](argv[1:]))
        return int(cmd_grade(argv))
    except AssignmentError as e:
        print(f"error in the assignment: {e}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except GraderError as e:
        print(f"error: {e}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
