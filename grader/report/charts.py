"""report.html's class charts: the outcome of each test, the scores' histogram and the pass rates
as stacked bars; geometry computed here, drawn by the template."""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import N_, _
from ..results import TestResult

OUTCOMES = ("passed", "failed", "not-run", "error")  # also CSS classes: seg-not-run, td.not-run, ...
OUTCOME_LABELS = {"passed": N_("passed"), "failed": N_("failed"), "not-run": N_("not run"), "error": N_("grader error")}


def outcome(test: TestResult) -> str:
    """passed | failed | not-run | error (a grader fault comes first: an instructor must look)."""
    if test.status == "passed":
        return "passed"
    if test.error:
        return "error"
    return "not-run" if test.status == "not_run" else "failed"


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Segment:
    kind: str  # passed | failed | not-run | error
    label: str  # the kind in words
    x: float
    width: float
    count: int


@dataclass(frozen=True)
class Bar:
    label: str
    title: str
    y: float
    segments: tuple[Segment, ...]
    value: str  # what the bar says in words, right of it


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_width: int
    bar_height: int
    bars: tuple[Bar, ...]


def rate_chart(rows: list[tuple[str, str, dict[str, int]]], label_width: int = 420) -> BarChart:
    """Horizontal stacked bars (passed, failed, not run, error), one row per (label, title, counts)."""
    bar_width, row, bar_height = 300, 24, 16
    bars = []
    for i, (label, title, counts) in enumerate(rows):
        total = sum(counts.values()) or 1
        x = float(label_width)
        segments = []
        for kind in OUTCOMES:
            width = bar_width * counts.get(kind, 0) / total
            if width:
                segments.append(Segment(kind, _(OUTCOME_LABELS[kind]), round(x, 2), round(width, 2), counts[kind]))
            x += width
        passed = counts.get("passed", 0)
        value = f"{100 * passed / total:.0f}%  ({passed}/{sum(counts.values())})"
        bars.append(Bar(shorten(label, 66), title, i * row + 4, tuple(segments), value))
    return BarChart(label_width + bar_width + 120, len(rows) * row + 8, label_width, bar_width, bar_height,
                    tuple(bars))


@dataclass(frozen=True)
class Column:
    x: float
    y: float
    width: float
    height: float
    count: int
    label: str


@dataclass(frozen=True)
class Histogram:
    width: int
    height: int
    base: int  # y of the x axis
    columns: tuple[Column, ...]
    ticks: tuple[tuple[float, str], ...]  # (y, label) of the count axis


def histogram(percents: list[float], bins: int = 10) -> Histogram:
    """Scores in `bins` equal percent ranges; 100% goes into the last one."""
    counts = [0] * bins
    for p in percents:
        counts[min(int(p * bins / 100), bins - 1) if p > 0 else 0] += 1
    left, top, base, col = 40, 12, 172, 50
    tallest = max(max(counts), 1)
    step = max(1, -(-tallest // 5))
    scale = (base - top) / (step * -(-tallest // step))
    columns = tuple(Column(left + i * col + 4, base - n * scale, col - 8, n * scale, n,
                           f"{100 * i // bins}–{100 * (i + 1) // bins}") for i, n in enumerate(counts))
    ticks = tuple((base - k * scale, str(k)) for k in range(0, tallest + step, step))
    return Histogram(left + bins * col + 10, base + 40, base, columns, ticks)
