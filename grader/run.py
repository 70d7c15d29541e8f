"""Grading one submission: locate and stage its files, turn each scenario into a driver plan, score outcomes."""

from __future__ import annotations

import argparse
import os
import zlib
from pathlib import Path

from .assignment import Assignment, Scenario
from .driver.wire import Outcome, Plan, ProgramSpec, Side, WireError
from .errors import GraderError
from .feedback import feedback_of
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
    """The submission's hand-in files located (grader/handin/) and staged at `dest` for the sandbox."""
    handin = locate(submission, assignment.handin)
    return handin, stage(handin, dest)


PORTS = range(20000, 32000)  # below Linux's ephemeral ports (ip_local_port_range: 32768-60999 by default),
# with room for a scenario's further servers (port + 1, ...): a connect() never takes one as its source port,
# which made a second server's bind() fail with "Address already in use" (a grader's client, or its
# TIME_WAIT for 60 s where the network is shared: the process backend)


def port_for(scenario: Scenario) -> int:
    """A port per scenario, stable across runs (a hard-coded port fails the same way every time)."""
    return PORTS.start + zlib.crc32(scenario.name.encode()) % len(PORTS)


def plan_for(assignment: Assignment, scenario: Scenario, staged: Path,
             files: dict[str, str] | None = None) -> Plan:
    """The driver's plan; `files`: where the hand-in has each declared file, when not at its top."""
    limits = assignment.limits
    return Plan(
        scenario=scenario.name, steps=tuple(scenario.steps), timeout=scenario.timeout,
        port=port_for(scenario), host="127.0.0.1", seed=zlib.crc32(scenario.name.encode()),
        programs={n: ProgramSpec(tuple(p.argv), p.kind, p.provided) for n, p in assignment.programs.items()},
        student=Side(str(staged), files=dict(files or {})), reference=Side(str(reference_folder(assignment))),
        limits={"cpu_seconds": limits.cpu_seconds, "memory_mb": limits.memory_mb,
                # virtual, per process: each thread's malloc arena reserves 64 MiB of address space
                "address_space_mb": limits.memory_mb * ADDRESS_SPACE_FACTOR,
                "file_size_mb": limits.file_size_mb, "open_files": limits.open_files,
                "processes": limits.processes, "socket_mb": limits.socket_mb},
        scratch_mb=limits.scratch_mb, received_mb=limits.received_mb,
        # steps fail as soon as nothing more can happen (docs/kernel.md, "Quiescent"); LABGRADE_EARLY=0:
        # the deadlines decide, to compare both ways (bench/)
        early=os.environ.get("LABGRADE_EARLY", "1") != "0",
        lang=assignment.language,  # the driver's messages and transcript speak it (grader/driver/i18n.py)
    )


def run_plan(sandbox: Sandbox, plan: Plan) -> Outcome:
    """The plan run in a sandbox (which takes and gives the wire's JSON form: the backends place the
    plan in their sandbox by adjusting it); a fault of the harness is an outcome with status "error"."""
    try:
        return Outcome.from_json(sandbox.run(plan.to_json()))
    except (GraderError, WireError) as e:
        return Outcome("error", error=str(e))


def grade_scenario(sandbox: Sandbox, assignment: Assignment, scenario: Scenario, staged: Path,
                   files: dict[str, str] | None = None,
                   transcripts: bool = False) -> tuple[TestResult, Outcome]:
    """`transcripts`: a passed test's output keeps its transcript (feedback.render)."""
    outcome = run_plan(sandbox, plan_for(assignment, scenario, staged, files))
    passed = outcome.status == "passed"
    started = {p.script: visible(p.start_failure or "")
               for p in outcome.programs.values() if p.origin == "student" and p.script}
    feedback = feedback_of(scenario, outcome, transcripts)
    result = TestResult(
        name=scenario.name, tags=scenario.tags, score=scenario.points if passed else 0.0,
        max_score=scenario.points, status="passed" if passed else "failed",
        output=feedback.text(), visibility=scenario.visibility, error=outcome.status == "error",
        duration=outcome.duration, started=started, feedback=None if passed else feedback)
    return result, outcome
