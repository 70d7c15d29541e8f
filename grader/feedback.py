"""Student-facing text for one scenario's outcome: what was done, expected, seen, and when.

`feedback_of` makes a `Feedback` value from the driver's outcome (grader/driver/wire.py);
`Feedback.text()` lays it out as the test's `output`, and the reporters that show it in parts
(report.html, GitHub's annotations) read its fields: nothing reads the text back.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import ClassVar

from .assignment import Scenario
from .driver.program import STORE_CAP, truncation_note
from .driver.wire import Event, Outcome, ProgramOutcome, Transcript, Wire
from .i18n import N_, _, numeral
from .text import visible

MAX_TRANSCRIPT_LINES = 60
STDERR_LINES = 20  # the last lines of a program's stderr shown
ERROR_CHARS = 3000  # the end of a grader fault's details shown
TRANSCRIPT_HEAD = N_("Transcript (seconds since the test started):")
ADVICE_HEAD = N_("What to check:")
STDERR_HEAD = N_("Last lines {name} wrote on stderr ({exit}):")
EVENTS_NOT_SHOWN = N_("... {count} events not shown ...")
EXPECTED_OBSERVED = N_("  expected: {expected}\n  observed: {observed}")  # a failed step's, a check's (plugin/checks)


@dataclass(frozen=True)
class ProgramReport(Wire):
    """A student's program as the feedback tells of it: output past the cap, its last lines on stderr."""

    TAG: ClassVar[str] = "program-report"
    name: str
    exit: str
    capped: tuple[str, ...] = ()  # 'stdout: 200.0 MB written, first 1 MiB kept' for each stream past the cap
    stderr: tuple[str, ...] = ()  # its last lines on stderr (made visible)
    limited: bool = False  # a limit of the sandbox ended it

    def notes(self) -> list[str]:
        """The paragraphs about it other than its stderr (report.html shows them in the summary)."""
        capped = [_("Output of {name} (too much to keep it all): {notes}").format(
            name=self.name, notes="; ".join(self.capped))] if self.capped else []
        return capped + ([f"{self.name}: {self.exit}"] if self.limited and not self.stderr else [])

    def paragraphs(self) -> list[str]:
        if not self.stderr:
            return self.notes()
        tail = "\n".join("  | " + line for line in self.stderr)
        return [*self.notes(), _(STDERR_HEAD).format(name=self.name, exit=self.exit) + "\n" + tail]


@dataclass(frozen=True)
class Feedback(Wire):
    """A test's feedback in parts: `summary` (where it failed, why, expected vs observed; or a
    grader fault's details), the scenario's advice, the transcript, the student's programs."""

    TAG: ClassVar[str] = "feedback"
    summary: tuple[str, ...]
    advice: str = ""  # the scenario's `feedback:`, as written
    transcript: Transcript | None = None
    programs: tuple[ProgramReport, ...] = ()

    def text(self) -> str:
        parts = list(self.summary)
        if self.advice:
            parts.append(_(ADVICE_HEAD) + "\n" + textwrap.fill(self.advice, 96, initial_indent="  ",
                                                               subsequent_indent="  "))
        if self.transcript is not None:
            parts.append(f"{_(TRANSCRIPT_HEAD)}\n" + "\n".join(transcript_lines(self.transcript)))
        parts += [p for prog in self.programs for p in prog.paragraphs()]
        return "\n\n".join(parts)


def shown_events(transcript: Transcript) -> list[Event | int]:
    """The events shown: all, or the first and last halves of MAX_TRANSCRIPT_LINES with, between
    them, how many are not shown."""
    events: list[Event | int] = list(transcript.events)
    if len(events) > MAX_TRANSCRIPT_LINES:
        half = MAX_TRANSCRIPT_LINES // 2
        events = [*events[:half], len(events) - 2 * half, *events[-half:]]
    return events


def dropped_note(transcript: Transcript) -> str:
    """'(5 more events were not recorded)' when the driver dropped some, else ""."""
    dropped = transcript.dropped
    return _("({count} more events were not recorded)").format(count=dropped) if dropped else ""


def transcript_lines(transcript: Transcript) -> list[str]:
    lines = [f"  {numeral(e.time, '8.3f')}s  {e.actor:<8} {e.what}{'  ' + e.detail if e.detail else ''}"
             if isinstance(e, Event) else "  " + _(EVENTS_NOT_SHOWN).format(count=e)
             for e in shown_events(transcript)]
    note = dropped_note(transcript)
    return lines + (["  " + note] if note else [])


def feedback_of(scenario: Scenario, outcome: Outcome, transcripts: bool = False) -> Feedback:
    """The test's feedback; a passed test's has its transcript too with `transcripts` (`grade selfcheck -v`:
    what a mutant that survives did). Student text included is made safe for any reader (text.py)."""
    if outcome.status == "passed":
        passed = _("Passed in {seconds:.2f} s.").format(seconds=outcome.duration)
        return Feedback((passed,), transcript=safe(outcome.transcript) if transcripts else None)
    if outcome.status == "error":
        return Feedback((_("The grader itself failed on this test (not a problem in your code); your instructor "
                           "has the details."), str(outcome.error or "")[-ERROR_CHARS:]))
    verdict, steps = outcome.verdict, len(scenario.steps)
    at = verdict.step if verdict else 0
    where = _("Failed at step {at} of {steps}: {step}").format(
        at=at + 1, steps=steps, step=verdict.step_text if verdict else "") \
        if at < steps else _("Failed after the last step ({steps} of {steps} passed): something more happened than "
                             "the scenario expected").format(steps=steps)
    summary = [where, verdict.reason if verdict else ""]
    if verdict and (verdict.expected or verdict.observed):
        summary.append(_(EXPECTED_OBSERVED).format(expected=verdict.expected, observed=verdict.observed))
    programs = tuple(report_of(name, p) for name, p in outcome.programs.items() if p.student)
    return Feedback(tuple(visible(s) for s in summary), visible(scenario.feedback),
                    safe(outcome.transcript), programs)


def report_of(name: str, prog: ProgramOutcome) -> ProgramReport:
    capped = tuple(truncation_note(stream, total, STORE_CAP)
                   for stream, total in (("stdout", prog.stdout_bytes), ("stderr", prog.stderr_bytes))
                   if total > STORE_CAP)
    stderr = prog.stderr.rstrip().splitlines()[-STDERR_LINES:] if prog.stderr.strip() else []
    return ProgramReport(visible(name), visible(prog.exit), capped, tuple(visible(line) for line in stderr),
                         prog.limited)


def safe(transcript: Transcript) -> Transcript:
    """The transcript with every text made visible (text.py): it holds what the student's programs sent."""
    return Transcript(tuple(Event(e.time, visible(e.actor), visible(e.what), visible(e.detail))
                            for e in transcript.events), transcript.dropped)


def render(scenario: Scenario, outcome: Outcome, transcripts: bool = False) -> str:
    """The test's feedback as text (its `output`)."""
    return feedback_of(scenario, outcome, transcripts).text()
