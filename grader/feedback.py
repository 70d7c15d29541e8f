"""Student-facing text for one scenario's outcome: what was done, expected, seen, and when."""

from __future__ import annotations

import textwrap
from typing import Any

from .assignment import Scenario
from .driver.endpoints import STORE_CAP, truncation_note
from .i18n import N_, _, numeral
from .text import visible

MAX_TRANSCRIPT_LINES = 60
# the heads of the feedback's parts, which report.html reads back (report/html.py), in any language
TRANSCRIPT_HEAD = N_("Transcript (seconds since the test started):")
ADVICE_HEAD = N_("What to check:")
STDERR_HEAD = N_("Last lines {name} wrote on stderr ({exit}):")
EVENTS_NOT_SHOWN = N_("... {count} events not shown ...")
EXPECTED_OBSERVED = N_("  expected: {expected}\n  observed: {observed}")  # a failed step's, and a check's (plugin.py)


def transcript_lines(outcome: dict[str, Any]) -> list[str]:
    events = outcome.get("transcript", {}).get("events", [])
    lines = [f"  {numeral(t, '8.3f')}s  {who:<8} {what}{'  ' + detail if detail else ''}"
             for t, who, what, detail in events]
    if len(lines) > MAX_TRANSCRIPT_LINES:
        half = MAX_TRANSCRIPT_LINES // 2
        lines = [*lines[:half], "  " + _(EVENTS_NOT_SHOWN).format(count=len(lines) - 2 * half), *lines[-half:]]
    dropped = outcome.get("transcript", {}).get("dropped", 0)
    return lines + (["  " + _("({count} more events were not recorded)").format(count=dropped)] if dropped else [])


def render(scenario: Scenario, outcome: dict[str, Any], transcripts: bool = False) -> str:
    """The test's feedback; a passed test's has its transcript too with `transcripts` (`grade selfcheck -v`:
    what a mutant that survives did)."""
    status = outcome["status"]
    if status == "passed":
        passed = _("Passed in {seconds:.2f} s.").format(seconds=outcome.get("duration", 0))
        return visible(f"{passed}\n\n{_(TRANSCRIPT_HEAD)}\n" + "\n".join(transcript_lines(outcome))) \
            if transcripts else passed
    if status == "error":
        return (_("The grader itself failed on this test (not a problem in your code); your instructor has the "
                  "details.") + "\n\n" + str(outcome.get("error", ""))[-3000:])
    steps, at = len(scenario.steps), int(outcome.get("failed_step", 0))
    where = _("Failed at step {at} of {steps}: {step}").format(at=at + 1, steps=steps, step=outcome.get("step", "")) \
        if at < steps else _("Failed after the last step ({steps} of {steps} passed): something more happened than "
                             "the scenario expected").format(steps=steps)
    parts = [where, str(outcome.get("message", ""))]
    if outcome.get("expected") or outcome.get("observed"):
        parts.append(_(EXPECTED_OBSERVED).format(
            expected=outcome.get("expected", ""), observed=outcome.get("observed", "")))
    if scenario.feedback:
        parts.append(_(ADVICE_HEAD) + "\n" + textwrap.fill(scenario.feedback, 96, initial_indent="  ",
                                                          subsequent_indent="  "))
    parts.append(f"{_(TRANSCRIPT_HEAD)}\n" + "\n".join(transcript_lines(outcome)))
    for name, prog in outcome.get("programs", {}).items():
        if not prog.get("student"):
            continue
        capped = output_notes(prog)
        if capped:
            parts.append(_("Output of {name} (too much to keep it all): {notes}").format(
                name=name, notes="; ".join(capped)))
        if prog.get("stderr", "").strip():
            tail = "\n".join("  | " + line for line in prog["stderr"].rstrip().splitlines()[-20:])
            parts.append(_(STDERR_HEAD).format(name=name, exit=prog.get("exit")) + "\n" + tail)
        elif prog.get("limited"):  # a limit of the sandbox ended it (endpoints.py): say so anyway
            parts.append(f"{name}: {prog.get('exit')}")
    return visible("\n\n".join(parts))  # student text included: made safe for any reader (text.py)


def output_notes(prog: dict[str, Any]) -> list[str]:
    """'stdout: 200.0 MB written, first 1 MiB kept' for each stream past the driver's cap."""
    return [truncation_note(stream, total, STORE_CAP)
            for stream in ("stdout", "stderr") if (total := int(prog.get(f"{stream}_bytes") or 0)) > STORE_CAP]
