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
(feedback_parts.py) reads those fields (a check written in Python has only its `output`: all
summary). The charts' and the timeline's geometry are computed in charts.py and timeline.py.
A test not run (`status == "not_run"`) has no transcript: its output is "Not run: " and why, all
summary. A submission's `findings` (a missing file, a program that does not start) head its section.
An instructor's overrides (grade --overrides) follow them, with why; the matrix marks each
overridden cell (and a grade set) with a pencil whose title says why.
"""

from __future__ import annotations

import base64
import hashlib
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from ..i18n import N_, _, current, install, numeral
from ..results import ClassResult, SubmissionResult, TestResult
from ..text import visible
from .charts import OUTCOME_LABELS, OUTCOMES, BarChart, Histogram, histogram, outcome, rate_chart
from .feedback_parts import Feedback, feedback_view
from .gradebook import percent, points, scenario_order, tag_order
from .timeline import Timeline, timeline

TEMPLATES = Path(__file__).with_name("templates")

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
