"""The scenario's event log: who did what, when (seconds since the scenario started)."""

from __future__ import annotations

import time

from .matching import show

MAX_EVENTS = 400  # first and last halves are kept; the middle of a flood is summarised


class Transcript:
    def __init__(self) -> None:
        self.start = time.monotonic()
        self.events: list[list[object]] = []
        self.dropped = 0

    def now(self) -> float:
        return round(time.monotonic() - self.start, 4)

    def add(self, who: str, what: str, detail: str = "") -> None:
        if len(self.events) >= MAX_EVENTS:
            self.dropped += 1
            del self.events[MAX_EVENTS // 2]
        self.events.append([self.now(), who, what, detail])

    def data(self, who: str, what: str, data: bytes) -> None:
        self.add(who, what, show(data))

    def to_json(self) -> dict[str, object]:
        return {"events": self.events, "dropped": self.dropped}
