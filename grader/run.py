"""Grading one submission: stage its files, turn each scenario into a driver plan, score outcomes."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import zlib
from pathlib import Path
from typing import Any

from .assignment import Assignment, Scenario
from .errors import GraderError
from .feedback import render
from .results import TestResult
from .sandbox import Sandbox

MAX_FILES = 2000  # a hand-in is a few scripts; more than this is a mistake or an attack
MAX_BYTES = 50 << 20
ADDRESS_SPACE_FACTOR = 8  # 16 threads of a threaded echo server exceeded 512 MiB of RLIMIT_AS (measured)
IGNORED = shutil.ignore_patterns(".git", "__pycache__", "*.pyc", ".venv", "node_modules")


class SubmissionUnusable(GraderError):
    """The submission folder itself cannot be graded (too large, unreadable)."""


def stage(src: Path, dest: Path) -> Path:
    """A private copy of the submission, readable by the sandbox uid; symlinks are kept as links
    (inside the sandbox they resolve within its own root, never to the host's files). A folder
    too large to be a hand-in raises SubmissionUnusable before anything is copied."""
    try:
        _check_size(src)
    except SubmissionUnusable:
        with contextlib.suppress(OSError):
            dest.parent.rmdir()  # the caller's fresh temp dir, still empty: not left behind
        raise
    shutil.copytree(src, dest, symlinks=True, ignore=IGNORED)
    for root, _dirs, names in os.walk(dest):
        os.chmod(root, 0o755)
        for n in names:
            p = os.path.join(root, n)
            if not os.path.islink(p):
                os.chmod(p, 0o755 if os.stat(p).st_mode & stat.S_IXUSR else 0o644)
    return dest


def _check_size(src: Path) -> None:
    files, size = 0, 0
    for root, dirs, names in os.walk(src):  # never follows a symlink (to a folder or a file)
        dirs[:] = [d for d in dirs if d not in (".git", "__pycache__", ".venv", "node_modules")]
        for n in names + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            files += 1
            size += os.lstat(os.path.join(root, n)).st_size
            if files > MAX_FILES:
                raise SubmissionUnusable(f"not graded: the submission {src.name} holds more than {MAX_FILES} "
                                         f"files; hand in only the programs")
            if size > MAX_BYTES:
                raise SubmissionUnusable(f"not graded: the submission {src.name} is larger than "
                                         f"{MAX_BYTES >> 20} MB; hand in only the programs")


def port_for(scenario: Scenario) -> int:
    """A port per scenario, stable across runs (a hard-coded port fails the same way every time)."""
    return 20000 + zlib.crc32(scenario.name.encode()) % 40000


def plan_for(assignment: Assignment, scenario: Scenario, staged: Path) -> dict[str, Any]:
    limits = assignment.limits
    return {
        "scenario": scenario.name, "steps": list(scenario.steps), "timeout": scenario.timeout,
        "port": port_for(scenario), "host": "127.0.0.1", "seed": zlib.crc32(scenario.name.encode()),
        "programs": {n: {"argv": list(p.argv), "kind": p.kind} for n, p in assignment.programs.items()},
        "student": {"dir": str(staged)}, "reference": {"dir": str(assignment.reference)},
        "limits": {"cpu_seconds": limits.cpu_seconds, "memory_mb": limits.memory_mb,
                   # virtual, per process: each thread's malloc arena reserves 64 MiB of address space
                   "address_space_mb": limits.memory_mb * ADDRESS_SPACE_FACTOR,
                   "file_size_mb": limits.file_size_mb, "open_files": limits.open_files,
                   "processes": limits.processes},
        "scratch_mb": limits.scratch_mb,
    }


def grade_scenario(sandbox: Sandbox, assignment: Assignment, scenario: Scenario,
                   staged: Path) -> tuple[TestResult, dict[str, Any]]:
    try:
        outcome = sandbox.run(plan_for(assignment, scenario, staged))
    except GraderError as e:
        outcome = {"status": "error", "error": str(e), "transcript": {"events": []}}
    passed = outcome["status"] == "passed"
    result = TestResult(
        name=scenario.name, tags=scenario.tags, score=scenario.points if passed else 0.0,
        max_score=scenario.points, status="passed" if passed else "failed", output=render(scenario, outcome),
        visibility=scenario.visibility, error=outcome["status"] == "error",
        duration=float(outcome.get("duration", 0.0)))
    return result, outcome
