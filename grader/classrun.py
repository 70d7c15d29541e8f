"""Grading a class: one pytest process per submission (a crash costs that submission only), N at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from .assignment import Assignment, list_labs
from .errors import UsageError
from .results import ClassResult, SubmissionResult, TestResult

GRADING_INI = Path(__file__).with_name("grading.ini")
SUBMISSION_SLACK = 120.0  # seconds beyond the sum of scenario budgets before a submission's run is killed


def find_submissions(path: Path) -> list[Path]:
    """A folder holding .py files is one submission; otherwise each sub-folder is one."""
    if not path.is_dir():
        raise UsageError(f"{path}: not a folder (give a folder of submissions, or one submission folder)")
    if any(p.suffix == ".py" for p in path.iterdir() if p.is_file()):
        return [path]
    subs = sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subs:
        raise UsageError(f"{path}: no submission in it (neither .py files nor sub-folders)")
    return subs


def infer_lab(path: Path, submissions: list[Path]) -> str:
    """GitHub Classroom names clones `<assignment>-<login>`: the longest lab name that prefixes
    the class folder's name, or every submission's name."""
    for lab in sorted(list_labs(), key=len, reverse=True):
        if path.resolve().name.startswith(lab) or all(s.name.startswith(lab) for s in submissions):
            return lab
    raise UsageError(f"cannot tell which lab {path} is for: pass -a/--assignment, one of: {', '.join(list_labs())}")


def grade_submission(assignment: Assignment, submission: Path, backend: str, log: Path) -> SubmissionResult:
    with tempfile.TemporaryDirectory(prefix="labgrade-results-") as tmp:
        results = Path(tmp) / "results.json"
        cmd = [sys.executable, "-m", "pytest", str(assignment.root), "--submission", str(submission),
               "--backend", backend, "--labgrade-results", str(results), "-c", str(GRADING_INI),
               "--rootdir", str(assignment.root), "-q", "-rN"]
        budget = sum(s.timeout for s in assignment.scenarios) + SUBMISSION_SLACK
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        with open(log, "wb") as out:
            try:
                rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, timeout=budget, env=env,
                                    stdin=subprocess.DEVNULL).returncode
            except subprocess.TimeoutExpired:
                return unusable(assignment, submission.name, f"grading did not finish within {budget:.0f} s")
        if rc not in (0, 1) or not results.exists():
            tail = log.read_text(errors="replace")[-2000:]
            return unusable(assignment, submission.name, f"the grading run failed (pytest exit {rc}):\n{tail}")
        tests = [TestResult.from_json(t) for t in json.loads(results.read_text())["tests"]]
    order = {s.name: i for i, s in enumerate(assignment.scenarios)}
    tests.sort(key=lambda t: order.get(t.name, len(order)))
    missing = [s for s in assignment.scenarios if s.name not in {t.name for t in tests}]
    tests += [TestResult(s.name, s.tags, 0.0, s.points, "failed", "Not run (deselected or the run stopped).",
                         s.visibility, error=True) for s in missing]
    return SubmissionResult(submission.name, tuple(tests))


def unusable(assignment: Assignment, name: str, why: str) -> SubmissionResult:
    """Every scenario at 0 with the reason: the class run goes on."""
    tests = tuple(TestResult(s.name, s.tags, 0.0, s.points, "failed", f"Not graded: {why}", s.visibility, error=True)
                  for s in assignment.scenarios)
    return SubmissionResult(name, tests, error=why)


def grade_class(assignment: Assignment, submissions: list[Path], backend: str, jobs: int, logs: Path,
                on_done: Callable[[SubmissionResult], None] = lambda r: None) -> ClassResult:
    logs.mkdir(parents=True, exist_ok=True)
    results: dict[Path, SubmissionResult] = {}
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(grade_submission, assignment, s, backend, logs / f"{s.name}.log"): s
                   for s in submissions}
        for future in as_completed(futures):
            sub = futures[future]
            try:
                results[sub] = future.result()
            except Exception as e:  # a grader bug on one submission must not lose the others
                results[sub] = unusable(assignment, sub.name, f"internal error: {e!r}")
            on_done(results[sub])
    return ClassResult(assignment.name, tuple(results[s] for s in submissions))
