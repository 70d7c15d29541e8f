"""Student-facing text for one scenario's outcome: what was done, expected, seen, and when."""

from __future__ import annotations

import textwrap
from typing import Any

from .assignment import Scenario
from .driver.endpoints import STORE_CAP, truncation_note
from .text import visible

MAX_TRANSCRIPT_LINES = 60
TRANSCRIPT_HEAD = "Transcript (seconds since the test started):"
LIMIT_WORDS = ("limit", "out of memory")  # in a program's exit text when a sandbox limit ended it (endpoints.py)


def transcript_lines(outcome: dict[str, Any]) -> list[str]:
    events = outcome.get("transcript", {}).get("events", [])
    lines = [f"  {t:8.3f}s  {who:<8} {what}{'  ' + detail if detail else ''}" for t, who, what, detail in events]
    if len(lines) > MAX_TRANSCRIPT_LINES:
        half = MAX_TRANSCRIPT_LINES // 2
        lines = [*lines[:half], f"  ... {len(lines) - 2 * half} events not shown ...", *lines[-half:]]
    dropped = outcome.get("transcript", {}).get("dropped", 0)
    return lines + ([f"  ({dropped} more events were not recorded)"] if dropped else [])


def render(scenario: Scenario, outcome: dict[str, Any], transcripts: bool = False) -> str:
    """The test's feedback; a passed test's has its transcript too with `transcripts` (`grade selfcheck -v`:
    what a mutant that survives did)."""
    status = outcome["status"]
    if status == "passed":
        passed = f"Passed in {outcome.get('duration', 0):.2f} s."
        return visible(f"{passed}\n\n{TRANSCRIPT_HEAD}\n" + "\n".join(transcript_lines(outcome))) if transcripts \
            else passed
    if status == "error":
        return ("The grader itself failed on this test (not a problem in your code); "
                "your instructor has the details.\n\n" + str(outcome.get("error", ""))[-3000:])
    steps, at = len(scenario.steps), int(outcome.get("failed_step", 0))
    where = f"Failed at step {at + 1} of {steps}: {outcome.get('step', '')}" if at < steps else \
        f"Failed after the last step ({steps} of {steps} passed): something more happened than the scenario expected"
    parts = [where, str(outcome.get("message", ""))]
    if outcome.get("expected") or outcome.get("observed"):
        parts.append(f"  expected: {outcome.get('expected', '')}\n  observed: {outcome.get('observed', '')}")
    if scenario.feedback:
        parts.append("What to check:\n" + textwrap.fill(scenario.feedback, 96, initial_indent="  ",
                                                       subsequent_indent="  "))
    parts.append(f"{TRANSCRIPT_HEAD}\n" + "\n".join(transcript_lines(outcome)))
    for name, prog in outcome.get("programs", {}).items():
        if not prog.get("student"):
            continue
        capped = output_notes(prog)
        if capped:
            parts.append(f"Output of {name} (too much to keep it all): " + "; ".join(capped))
        if prog.get("stderr", "").strip():
            tail = "\n".join("  | " + line for line in prog["stderr"].rstrip().splitlines()[-20:])
            parts.append(f"Last lines {name} wrote on stderr ({prog.get('exit')}):\n{tail}")
        elif any(w in str(prog.get("exit", "")) for w in LIMIT_WORDS):  # a limit ended it: say so anyway
            parts.append(f"{name}: {prog.get('exit')}")
    return visible("\n\n".join(parts))  # student text included: made safe for any reader (text.py)


def output_notes(prog: dict[str, Any]) -> list[str]:
    """'stdout: 200.0 MB written, first 1 MiB kept' for each stream past the driver's cap."""
    return [truncation_note(stream, total, STORE_CAP)
            for stream in ("stdout", "stderr") if (total := int(prog.get(f"{stream}_bytes") or 0)) > STORE_CAP]
