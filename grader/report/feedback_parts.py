"""A test's feedback in parts, for the reports that lay it out (report.html, GitHub's annotations):
read from `TestResult.feedback`'s fields (grader/feedback.py), never from its text."""

from __future__ import annotations

from dataclasses import dataclass

from ..driver.wire import Transcript
from ..feedback import dropped_note, shown_events
from ..results import TestResult


@dataclass(frozen=True)
class Event:
    time: float
    actor: str
    event: str
    detail: str = ""
    skipped: int = 0  # > 0: not an event but "N events not shown" where the transcript was cut


@dataclass(frozen=True)
class StderrTail:
    program: str
    exit: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Feedback:
    summary: str
    advice: str = ""
    events: tuple[Event, ...] = ()
    notes: tuple[str, ...] = ()  # transcript lines that are not events ("(3 more events were not recorded)")
    stderr: tuple[StderrTail, ...] = ()


def view_events(transcript: Transcript) -> tuple[Event, ...]:
    """The events the feedback text shows (feedback.shown_events), at its precision (ms)."""
    events: list[Event] = []
    for e in shown_events(transcript):
        if isinstance(e, int):
            events.append(Event(events[-1].time if events else 0.0, "", "", skipped=e))
        else:
            events.append(Event(round(e.time, 3), e.actor, e.what, e.detail))
    return tuple(events)


def feedback_view(test: TestResult) -> Feedback:
    """The test's feedback in parts, from its fields; a test without them (a check written in
    Python, a test not run) is all summary."""
    fb = test.feedback
    if fb is None or test.status == "not_run":
        return Feedback(test.output.strip("\n"))
    programs = fb.programs
    summary = "\n\n".join([*fb.summary, *(note for p in programs for note in p.notes())]).strip("\n")
    notes = (note,) if fb.transcript and (note := dropped_note(fb.transcript)) else ()
    return Feedback(summary, " ".join(fb.advice.split()), view_events(fb.transcript) if fb.transcript else (), notes,
                    tuple(StderrTail(p.name, p.exit, p.stderr) for p in programs if p.stderr))

