"""Grading one submission: locate and stage its files, turn each scenario into a driver plan, score outcomes."""

from __future__ import annotations

import argparse
import os
import zlib
from pathlib import Path
from typing import Any

from .assignment import Assignment, Scenario
from .errors import GraderError
from .feedback import render
from .handin import HandIn, locate, stage
from .i18n import _
from .reference import reference_folder
from .results import TestResult
from .sandbox import Sandbox
from .text import visible

SIDE_BY_SIDE = 4  # a submission's scenarios graded at once by default (bench/stability.py: same verdicts)
ADDRESS_SPACE_FACTOR = 8  # 16 threads of a threaded echo server exceeded 512 MiB of RLIMIT_AS (measured)


def at_least_one(text: str) -> int:
    """How many at once (-j, --side-by-side), as an option's type: a whole number, 1 or more."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("{text!r} is not a whole number").format(text=text)) from None
    if n < 1:
        raise argparse.ArgumentTypeError(_("{n} is too few: 1 or more").format(n=n))
    return n


def prepare(submission: Path, assignment: Assignment, dest: Path) -> tuple[HandIn, Path]:
    """The submission's hand-in files located (handin.py) and staged at `dest` for the sandbox."""
    handin = locate(submission, assignment.handin)
    return handin, stage(handin, dest)


def port_for(scenario: Scenario) -> int:
    """A port per scenario, stable across runs (a hard-coded port fails the same way every time)."""
    return 20000 + zlib.crc32(scenario.name.encode()) % 40000


def plan_for(assignment: Assignment, scenario: Scenario, staged: Path,
             files: dict[str, str] | None = None) -> dict[str, Any]:
    """The driver's plan; `files`: where the hand-in has each declared file, when not at its top."""
    limits = assignment.limits
    return {
        "scenario": scenario.name, "steps": list(scenario.steps), "timeout": scenario.timeout,
        "port": port_for(scenario), "host": "127.0.0.1", "seed": zlib.crc32(scenario.name.encode()),
        "programs": {n: {"argv": list(p.argv), "kind": p.kind, "provided": p.provided}
                     for n, p in assignment.programs.items()},
        "student": {"dir": str(staged), "files": dict(files or {})},
        "reference": {"dir": str(reference_folder(assignment))},
        "limits": {"cpu_seconds": limits.cpu_seconds, "memory_mb": limits.memory_mb,
                   # virtual, per process: each thread's malloc arena reserves 64 MiB of address space
                   "address_space_mb": limits.memory_mb * ADDRESS_SPACE_FACTOR,
                   "file_size_mb": limits.file_size_mb, "open_files": limits.open_files,
                   "processes": limits.processes, "socket_mb": limits.socket_mb},
        "scratch_mb": limits.scratch_mb, "received_mb": limits.received_mb,
        # steps fail as soon as nothing more can happen (docs/kernel.md, "Quiescent"); LABGRADE_EARLY=0:
        # the deadlines decide, to compare both ways (bench/)
        "early": os.environ.get("LABGRADE_EARLY", "1") != "0",
        "lang": assignment.language,  # the driver's messages and transcript speak it (grader/driver/i18n.py)
    }


def grade_scenario(sandbox: Sandbox, assignment: Assignment, scenario: Scenario, staged: Path,
                   files: dict[str, str] | None = None,
                   transcripts: bool = False) -> tuple[TestResult, dict[str, Any]]:
    """`transcripts`: a passed test's output keeps its transcript (feedback.render)."""
    try:
        outcome = sandbox.run(plan_for(assignment, scenario, staged, files))
    except GraderError as e:
        outcome = {"status": "error", "error": str(e), "transcript": {"events": []}}
    passed = outcome["status"] == "passed"
    started = {str(p.get("script")): visible(str(p.get("start_failure") or ""))
               for p in outcome.get("programs", {}).values() if p.get("origin") == "student" and p.get("script")}
    result = TestResult(
        name=scenario.name, tags=scenario.tags, score=scenario.points if passed else 0.0,
        max_score=scenario.points, status="passed" if passed else "failed",
        output=render(scenario, outcome, transcripts),
        visibility=scenario.visibility, error=outcome["status"] == "error",
        duration=float(outcome.get("duration", 0.0)), started=started)
    return result, outcome
