"""report.html's timeline of a failed test: its transcript's events on one lane per actor, on a
linear time axis; geometry computed here, drawn by the template."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from ..driver.transcript import GRADER
from ..i18n import LANGUAGES, N_, _, numeral, translation
from .feedback_parts import Event

LANE_COLORS = ("#1f5fa8", "#b25d00", "#2a8a4a", "#8a3ea0", "#a83232", "#2b8c8c", "#7a6a10", "#5a5a9a")
# the driver's transcript events (grader/driver/), told apart by their first word in any language
EVENT_KINDS = {N_("connected"): "net", N_("sent"): "sent", N_("received"): "received", N_("closed"): "net",
               N_("closed by peer (FIN)"): "net", N_("reset (RST)"): "bad", N_("reset by peer (RST)"): "bad",
               "stderr": "stderr", N_("step failed"): "bad", N_("exited with code {code}"): "proc",
               N_("started"): "proc", N_("listening"): "proc", N_("killed by {signal}"): "bad"}
MIN_TIMELINE_EVENTS = 4  # below this the transcript table says it all
PLOT_WIDTH = 900  # px of the time axis, whatever the test's duration
MAX_TICKS = 10  # intervals of the time scale at most (its labels, "12.345 s", never overlap at 90 px each)
RESOLUTION = 0.001  # s: the transcript's times are in milliseconds


@dataclass(frozen=True)
class Lane:
    actor: str
    y: float
    color: str


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    kind: str
    color: str
    title: str


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    label_width: int
    origin: float  # x of 0 s; x = origin + time * scale
    axis_end: float  # x of the last tick
    lanes: tuple[Lane, ...]
    marks: tuple[Mark, ...]
    ticks: tuple[tuple[float, str], ...]  # (x, "0.05 s"): the time scale, evenly spaced from 0 s
    cuts: tuple[tuple[float, str], ...]  # (x, "29 not shown")


@cache
def event_words() -> dict[str, str]:
    return {translation(lang).gettext(event).split(" ", 1)[0]: kind
            for event, kind in EVENT_KINDS.items() for lang in LANGUAGES}


def event_kind(event: Event) -> str:
    return event_words().get(event.event.split(" ", 1)[0], "other")


def time_scale(span: float) -> tuple[float, int]:
    """The tick step (1, 2 or 5 times a power of ten, 1 ms at least) that cuts [0, span] into
    MAX_TICKS intervals at most, and the decimals its labels need."""
    raw = max(span / MAX_TICKS, RESOLUTION)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw * (1 - 1e-9))
    return step, max(0, -math.floor(math.log10(step) + 1e-9))


def timeline(events: tuple[Event, ...]) -> Timeline | None:
    """One lane per actor, each event at a position proportional to its time (a linear axis from
    0 s, the test's start, with its scale below); where the transcript was cut, a mark between the
    events around the cut. Events at the same moment of one actor overlap: the transcript lists them."""
    real = [e for e in events if not e.skipped]
    if len(real) < MIN_TIMELINE_EVENTS:
        return None
    actors = list(dict.fromkeys(e.actor for e in real))
    graders = {translation(lang).gettext(GRADER) for lang in LANGUAGES}
    colors = {a: "#555555" if a in graders else LANE_COLORS[i % len(LANE_COLORS)] for i, a in enumerate(actors)}
    label_width, lane, top = 70, 16, 22
    origin = label_width + 14
    step, decimals = time_scale(max(e.time for e in real))
    intervals = max(1, math.ceil(max(e.time for e in real) / step - 1e-9))
    scale = PLOT_WIDTH / (intervals * step)  # px per second

    def x_at(t: float) -> float:
        return round(origin + t * scale, 2)

    y_of = {a: top + i * lane + lane / 2 for i, a in enumerate(actors)}
    marks = tuple(Mark(x_at(e.time), y_of[e.actor], event_kind(e), colors[e.actor],
                       f"{numeral(e.time, '.3f')}s  {e.actor}  {e.event}" + (f"  {e.detail}" if e.detail else ""))
                  for e in real)
    cuts = []
    for i, e in enumerate(events):
        if e.skipped:
            after = next((n.time for n in events[i + 1:] if not n.skipped), e.time)
            cuts.append((x_at((e.time + after) / 2), _("{count} not shown").format(count=e.skipped)))
    ticks = tuple((x_at(k * step), f"{numeral(k * step, f'.{decimals}f')} s") for k in range(intervals + 1))
    return Timeline(int(origin + PLOT_WIDTH + 40), top + len(actors) * lane + 24, label_width, origin,
                    x_at(intervals * step), tuple(Lane(a, y_of[a], colors[a]) for a in actors), marks, ticks,
                    tuple(cuts))

