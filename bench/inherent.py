"""What a lab run cannot go below: the process starts and the fixed windows its scenarios must wait.

A correct submission's scenario returns the moment each awaited event happens, except for the
windows an `expect_silence` may declare (`for`). What should NOT happen (silence, idleness,
accept()s a busy server should not make) is decided once the sandbox has settled or is
quiescent, which a correct program reaches at once; a program asleep with a timer sits out a
`probe ... over` window, the reference does not. A failed step waits its own deadline
(`within`), which is the inherent cost of a failure.
Pure functions over the loaded assignment model; no process is started here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from grader.assignment import Assignment, Scenario
from grader.driver.steps import DEFAULT_WITHIN, START_WITHIN

CHECK_START = re.compile(r"""\.step\(\s*["']start["']""")  # a Python check starting a program


@dataclass(frozen=True)
class Inherent:
    starts: int  # programs started (each costs an interpreter start-up and the program's own set-up)
    windows: float  # seconds of fixed windows (expect_silence's `for`)

    def seconds(self, start_cost: float) -> float:
        return self.starts * start_cost + self.windows


def _args(step: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    ((verb, args),) = step.items()
    return verb, args if isinstance(args, dict) else {}


def step_window(step: dict[str, Any]) -> float:
    """Seconds a step waits even when the program is correct."""
    verb, args = _args(step)
    if verb == "expect_silence":
        return float(args.get("for", 0))
    return 0.0


def step_deadline(step: dict[str, Any]) -> float:
    """Seconds a step waits when it fails (its deadline)."""
    verb, args = _args(step)
    if verb == "expect_silence":
        return step_window(step)
    if verb == "probe" and "over" in args:
        return float(args["over"])
    if verb in ("close", "reset", "shutdown", "type", "pause", "resume", "compare", "check_stderr", "listen"):
        return 0.0  # immediate: no wait at all
    return float(args.get("within", START_WITHIN if verb == "start" else DEFAULT_WITHIN))


def of_scenario(scenario: Scenario, failed_step: int | None = None) -> Inherent:
    """Inherent cost of a scenario; with `failed_step` (0-based), of a run that failed there."""
    done = scenario.steps if failed_step is None else scenario.steps[:failed_step]
    failed = [] if failed_step is None else list(scenario.steps[failed_step:failed_step + 1])
    starts = sum(1 for s in (*done, *failed) if _args(s)[0] == "start")
    return Inherent(starts, sum(map(step_window, done)) + sum(map(step_deadline, failed)))


def of_checks(assignment: Assignment) -> Inherent:
    """Python checks (checks/test_*.py): their program starts only (they wait for events like scenarios)."""
    files = sorted((assignment.root / "checks").glob("test_*.py"))
    starts = sum(len(CHECK_START.findall(p.read_text())) for p in files)
    return Inherent(starts, 0.0)


def of_assignment(assignment: Assignment) -> Inherent:
    """A correct submission's whole lab run."""
    parts = [of_scenario(s) for s in assignment.scenarios] + [of_checks(assignment)]
    return Inherent(sum(p.starts for p in parts), sum(p.windows for p in parts))


FAILED_AT = re.compile(r"^Failed at step (\d+) of \d+")


def of_result(assignment: Assignment, tests: list[dict[str, Any]]) -> Inherent:
    """A graded submission (its results.json tests): passed scenarios cost their windows, failed
    ones the deadline of the step that failed; failed Python checks one default deadline."""
    scenarios = {s.name: s for s in assignment.scenarios}
    starts, windows = of_checks(assignment).starts, 0.0
    for t in tests:
        scenario = scenarios.get(t["name"])
        if scenario is None:  # a Python check
            windows += 0.0 if t["status"] == "passed" else DEFAULT_WITHIN
            continue
        m = FAILED_AT.match(str(t.get("output", "")))
        part = of_scenario(scenario, int(m.group(1)) - 1 if t["status"] != "passed" and m else None)
        starts, windows = starts + part.starts, windows + part.windows
    return Inherent(starts, windows)
