"""The scenario's event log: who did what, when (seconds since the scenario started)."""

from __future__ import annotations

import time

from .i18n import N_, _
from .matching import show
from .wire import Event
from .wire import Transcript as TranscriptValue

GRADER = N_("grader")  # the actor of the grader's own events (report.html draws its lane apart)

MAX_EVENTS = 400  # first and last halves are kept; the middle of a flood is summarised


class Transcript:
    def __init__(self) -> None:
        self.start = time.monotonic()
        self.events: list[Event] = []
        self.dropped = 0

    def now(self) -> float:
        return round(time.monotonic() - self.start, 4)

    def add(self, who: str, what: str, detail: str = "") -> None:
        if len(self.events) >= MAX_EVENTS:
            self.dropped += 1
            del self.events[MAX_EVENTS // 2]
        self.events.append(Event(self.now(), who, what, detail))

    def grader(self, what: str, detail: str = "") -> None:
        """An event of the grader itself ("step failed", "nothing more can happen")."""
        self.add(_(GRADER), what, detail)

    def data(self, who: str, what: str, data: bytes) -> None:
        self.add(who, what, show(data))

    def value(self) -> TranscriptValue:
        """The transcript as it crosses the sandbox boundary (wire.py)."""
        return TranscriptValue(tuple(self.events), self.dropped)
