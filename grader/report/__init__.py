"""Reporters: one result model in, one format out each. None of them grades anything."""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import GraderError
from ..i18n import _
from ..results import ClassResult, SubmissionResult
from . import classroom
from .gradebook import one_line, write_grades_csv
from .html import write_html
from .junit import write_junit


def gradescope(sub: SubmissionResult) -> dict[str, Any]:
    """Gradescope's autograder results.json for one submission. Its top-level `output` opens with the
    findings, one a line (what to read first), then the score, then why an instructor set the grade, if
    one did; an overridden test's output opens with why. Gradescope knows only "passed" and "failed",
    so a test not run is "failed", its output ("Not run: why") as is."""
    # students see `output`: the first line of why it was not graded; the log tail stays in the logs
    verdict = (_("Not graded: {why}").format(why=sub.error.splitlines()[0]) if sub.error
               else _("{score:g} / {max_score:g} points").format(score=sub.score, max_score=sub.max_score))
    return {
        "score": sub.score,
        "output": "\n".join([*(one_line(f) for f in sub.findings), verdict, *filter(None, [sub.override_note])]),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [{"name": t.name, "score": t.score, "max_score": t.max_score,
                   "status": "passed" if t.status == "passed" else "failed",
                   "output": "\n\n".join(filter(None, [t.override_note, t.student_output])),
                   "tags": list(t.tags), "visibility": t.visibility} for t in sub.tests],
    }


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "submission"


def write_json(path: Path, value: Any) -> None:
    """JSON in UTF-8; a lone surrogate (an undecodable byte) is written as its \\u escape, never fails."""
    path.write_text(json.dumps(value, indent=1, ensure_ascii=False) + "\n", encoding="utf-8",
                    errors="backslashreplace")


def write_results_json(result: ClassResult, out: Path) -> list[Path]:
    path = out / "results.json"
    write_json(path, result.to_json())
    return [path]


def write_gradescope(result: ClassResult, out: Path) -> list[Path]:
    paths = []
    for sub in result.submissions:
        folder = out / safe_name(sub.name)
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / "results.json", gradescope(sub))
        paths.append(folder / "results.json")
    return paths


REPORTERS: dict[str, Callable[[ClassResult, Path], list[Path]]] = {
    "results.json": write_results_json,
    "gradescope": write_gradescope,
    "grades.csv": write_grades_csv,
    "junit.xml": write_junit,
    "report.html": write_html,
}


class ReportError(GraderError):
    """Some report could not be written (the others were): the message names each and why."""


def write_all(result: ClassResult, out: Path) -> list[Path]:
    """Every report of REPORTERS in `out`. Each is written aside, then moved into place file by
    file (os.replace: a reader sees the old file or the new one, never half of one), so that a
    format that fails destroys nothing: the others are written, then ReportError says which failed."""
    out.mkdir(parents=True, exist_ok=True)
    written, failed = [], []
    with tempfile.TemporaryDirectory(prefix=".labgrade-reports-", dir=out) as tmp:
        for name, write in REPORTERS.items():
            aside = Path(tmp) / name
            aside.mkdir()
            try:
                files = write(result, aside)
            except Exception as e:  # a bug of one format must not lose the others
                failed.append(f"{name}: {type(e).__name__}: {e}")
                continue
            for f in files:
                final = out / f.relative_to(aside)
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(f, final)
                written.append(final)
    if failed:
        raise ReportError("some reports could not be written (the others were): " + "; ".join(failed))
    return written


def write_single(result: ClassResult, gradescope_results: Path | None = None,
                 classroom_output: Path | None = None) -> list[Path]:
    """One submission's result where a platform reads it: Gradescope's results.json at
    `gradescope_results`; GitHub Classroom's `result=<base64>` appended to `classroom_output`, or to
    $GITHUB_OUTPUT in GitHub Actions. Nothing for a class of several submissions."""
    if len(result.submissions) != 1:
        return []
    sub, written = result.submissions[0], []
    if gradescope_results:
        gradescope_results.parent.mkdir(parents=True, exist_ok=True)
        write_json(gradescope_results, gradescope(sub))
        written.append(gradescope_results)
    target = classroom_output or classroom.output_file()
    if target:
        written.append(classroom.write_output(sub, target))
    return written
