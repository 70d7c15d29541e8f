"""Reporters: one result model in, one format out each. None of them grades anything."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..results import ClassResult, SubmissionResult
from . import classroom
from .gradebook import one_line, write_grades_csv
from .html import write_html
from .junit import write_junit


def gradescope(sub: SubmissionResult) -> dict[str, Any]:
    """Gradescope's autograder results.json for one submission. Its top-level `output` opens with the
    findings, one a line (what to read first); Gradescope knows only "passed" and "failed", so a test
    not run is "failed", its output ("Not run: why") as is."""
    # students see `output`: the first line of why it was not graded; the log tail stays in the logs
    verdict = (f"Not graded: {sub.error.splitlines()[0]}" if sub.error
               else f"{sub.score:g} / {sub.max_score:g} points")
    return {
        "score": sub.score,
        "output": "\n".join([*(one_line(f) for f in sub.findings), verdict]),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [{"name": t.name, "score": t.score, "max_score": t.max_score,
                   "status": "passed" if t.status == "passed" else "failed",
                   "output": t.student_output, "tags": list(t.tags), "visibility": t.visibility} for t in sub.tests],
    }


def safe_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "submission"


def write_results_json(result: ClassResult, out: Path) -> list[Path]:
    path = out / "results.json"
    path.write_text(json.dumps(result.to_json(), indent=1, ensure_ascii=False) + "\n")
    return [path]


def write_gradescope(result: ClassResult, out: Path) -> list[Path]:
    paths = []
    for sub in result.submissions:
        folder = out / safe_name(sub.name)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "results.json").write_text(json.dumps(gradescope(sub), indent=1, ensure_ascii=False) + "\n")
        paths.append(folder / "results.json")
    return paths


REPORTERS: dict[str, Callable[[ClassResult, Path], list[Path]]] = {
    "results.json": write_results_json,
    "gradescope": write_gradescope,
    "grades.csv": write_grades_csv,
    "junit.xml": write_junit,
    "report.html": write_html,
}


def write_all(result: ClassResult, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    return [p for write in REPORTERS.values() for p in write(result, out)]


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
        gradescope_results.write_text(json.dumps(gradescope(sub), indent=1, ensure_ascii=False) + "\n")
        written.append(gradescope_results)
    target = classroom_output or classroom.output_file()
    if target:
        written.append(classroom.write_output(sub, target))
    return written
