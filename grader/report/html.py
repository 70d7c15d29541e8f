"""report.html: the whole class on one self-contained page, for the instructor.

Theory of operation. This module turns the result model into a view model of plain values
(numbers, strings, chart geometry) and `templates/report.html.j2` lays it out; there is no grading
here. The page needs no network: CSS and JS are inline and every chart is an SVG computed in Python.

Student output is hostile. Jinja2 runs with autoescape on and the template never marks anything
safe, so every byte a student controls reaches the page as text. On top of that the page carries
a Content-Security-Policy that lets only the one script whose SHA-256 it names run (no inline
handlers, no other script, no network): were an injection ever to slip through, it would not execute.

A failed scenario's feedback comes in parts (`TestResult.feedback`, grader/feedback.py): the
summary, the advice, the transcript's events, each student program's stderr; `feedback_view`
reads those fields (a check written in Python has only its `output`: all summary).
A test not run (`status == "not_run"`) has no transcript: its output is "Not run: " and why, all
summary. A submission's `findings` (a missing file, a program that does not start) head its section.
An instructor's overrides (grade --overrides) follow them, with why; the matrix marks each
overridden cell (and a grade set) with a pencil whose title says why.
"""

from __future__ import annotations

import base64
import hashlib
import math
import statistics
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from ..driver.transcript import GRADER
from ..driver.wire import Transcript
from ..feedback import dropped_note, shown_events
from ..i18n import LANGUAGES, N_, _, current, install, numeral, translation
from ..results import ClassResult, SubmissionResult, TestResult
from ..text import visible
from .gradebook import percent, points, scenario_order, tag_order

TEMPLATES = Path(__file__).with_name("templates")

# -- text from submissions ------------------------------------------------------------------



# -- a test's feedback, in parts -------------------------------------------------------------

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


# -- charts: geometry computed here, drawn by the template ------------------------------------

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


# -- the view model ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    kind: str  # passed | failed | not-run | error | missing
    text: str
    sort: float
    title: str
    overridden: bool = False  # an instructor set its points (grade --overrides): the title says why


@dataclass(frozen=True)
class FailedTest:
    """A test that did not pass: failed, not run, or a grader error (`kind`, as `outcome` says)."""

    anchor: str
    test: TestResult
    kind: str
    feedback: Feedback
    timeline: Timeline | None


@dataclass(frozen=True)
class SubmissionView:
    anchor: str
    sub: SubmissionResult
    score: str
    max_score: str
    percent: float
    cells: tuple[Cell, ...]
    failed: tuple[FailedTest, ...]  # every test that did not pass, in order
    passed: tuple[TestResult, ...]
    grader_errors: int
    not_run: int
    overrides: tuple[str, ...]  # an instructor's overrides of the grade and tests, one a line, with why


@dataclass(frozen=True)
class ScenarioHead:
    number: int
    name: str
    tags: tuple[str, ...]
    points: str
    hidden: bool


@dataclass
class Page:
    assignment: str
    stats: dict[str, str]
    scenarios: list[ScenarioHead]
    submissions: list[SubmissionView]
    histogram: Histogram
    scenario_chart: BarChart
    tag_chart: BarChart
    tags: list[str] = field(default_factory=list)


def cell(test: TestResult | None) -> Cell:
    if test is None:
        return Cell("missing", "", -1.0, _("not run for this submission"))
    kind = outcome(test)
    title = _("{name}: {outcome}, {score} of {max_score} points").format(
        name=test.name, outcome=_(OUTCOME_LABELS[kind]), score=points(test.score), max_score=points(test.max_score))
    if test.override:
        title = _("{title}; set by the instructor: {override}").format(title=title,
                                                                          override=test.override.line(test.name))
    return Cell(kind, "!" if kind == "error" else points(test.score), test.score, title, test.override is not None)


def submission_view(i: int, sub: SubmissionResult, scenarios: list[str]) -> SubmissionView:
    by_name = {t.name: t for t in sub.tests}
    feedback = {j: feedback_view(t) for j, t in enumerate(sub.tests) if t.status != "passed"}
    failed = () if sub.error else tuple(FailedTest(f"s{i}-t{j}", sub.tests[j], outcome(sub.tests[j]), fb,
                                                   timeline(fb.events)) for j, fb in feedback.items())
    return SubmissionView(f"s{i}", sub, points(sub.score), points(sub.max_score),
                          percent(sub.score, sub.max_score), tuple(cell(by_name.get(n)) for n in scenarios),
                          failed, tuple(t for t in sub.tests if t.status == "passed"),
                          sum(t.error for t in sub.tests), sum(outcome(t) == "not-run" for t in sub.tests),
                          tuple(sub.override_lines()))


def page(result: ClassResult) -> Page:
    names = scenario_order(result)
    tags = tag_order(result)
    first: dict[str, TestResult] = {}
    for sub in result.submissions:
        for t in sub.tests:
            first.setdefault(t.name, t)
    heads = [ScenarioHead(i + 1, n, first[n].tags, points(first[n].max_score), first[n].visibility != "visible")
             for i, n in enumerate(names)]
    subs = [submission_view(i, s, names) for i, s in enumerate(result.submissions)]
    graded = [s for s in result.submissions if not s.error]
    percents = [percent(s.score, s.max_score) for s in graded]
    scores = [s.score for s in graded]
    top = max((s.max_score for s in result.submissions), default=0.0)
    stats = {
        N_("submissions"): str(len(result.submissions)),
        N_("graded"): str(len(graded)),
        N_("not graded"): str(len(result.submissions) - len(graded)),
        N_("mean"): f"{points(round(statistics.fmean(scores), 2))} / {points(top)}" if scores else "-",
        N_("median"): f"{points(round(statistics.median(scores), 2))} / {points(top)}" if scores else "-",
        N_("lowest"): points(min(scores)) if scores else "-",
        N_("highest"): points(max(scores)) if scores else "-",
        N_("full marks"): str(sum(s.score == s.max_score for s in graded)),
        N_("grader errors"): str(sum(t.error for s in graded for t in s.tests)),
        N_("tests not run"): str(sum(outcome(t) == "not-run" for s in graded for t in s.tests)),
    }  # the template translates the names
    overridden = sum(len(s.overrides) for s in result.submissions)
    if overridden:
        stats[N_("overrides")] = str(overridden)

    def counts(tests: list[TestResult]) -> dict[str, int]:
        return {k: sum(outcome(t) == k for t in tests) for k in OUTCOMES}

    per_scenario = [(f"{h.number}. {h.name}" + (_(" (hidden)") if h.hidden else ""), h.name,
                     counts([t for s in graded for t in s.tests if t.name == h.name])) for h in heads]
    per_tag = [(tag, tag, counts([t for s in graded for t in s.tests if tag in t.tags])) for tag in tags]
    return Page(result.assignment, stats, heads, subs, histogram(percents), rate_chart(per_scenario),
                rate_chart(per_tag, label_width=160), tags)


# -- rendering --------------------------------------------------------------------------------

def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             finalize=shown, extensions=["jinja2.ext.i18n"])
    install(env)  # the language this command speaks (grader/i18n.py)
    env.filters["csp_hash"] = csp_hash
    env.filters["points"] = points  # numbers for people: the language's decimal symbol (not in data-v attributes)
    env.filters["numeral"] = numeral
    return env


def shown(value: Any) -> Any:
    """Every `{{ value }}` passes here before autoescape: text becomes visible (see `visible`)."""
    return visible(value) if isinstance(value, str) and not isinstance(value, markupsafe.Markup) else value


def csp_hash(script: str) -> str:
    """The CSP source that allows exactly this inline script (CSP level 2 hash source)."""
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


def render(result: ClassResult) -> str:
    context: dict[str, Any] = {"page": page(result), "labels": OUTCOME_LABELS, "lang": current()}
    return environment().get_template("report.html.j2").render(context)


def write_html(result: ClassResult, out: Path) -> list[Path]:
    path = out / "report.html"
    path.write_text(render(result), encoding="utf-8", errors="backslashreplace")
    return [path]
