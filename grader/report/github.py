"""GitHub Actions: a Markdown job summary and `::error` annotations, both seen by the student.

Theory of operation. In GitHub Classroom a submission is graded in the student's own repository,
so everything here is student-facing: tests whose visibility is not "visible" appear only as one
aggregate row ("2 hidden tests: 3 / 5 points"), never by name or feedback, and get no annotation.

A submission's findings (what to read first: a missing file, a program that does not start) are
listed under its heading in the summary and are each a `::warning` annotation. What an instructor
set (grade --overrides: the grade, or a visible test's points) is listed there too, with why. A test not run (a
test it requires did not pass, or one of those causes) is "not run" in the summary, not a failure,
and is not an `::error`: the visible tests not run for the same reason share one `::notice`.

Student output reaches two places the runner interprets:
- stdout lines, where `::command ...::` at the start of a line is a workflow command
  (`::add-mask::`, `::stop-commands::`, `::error::` ...). Each annotation is one line: the message
  and properties are escaped the way GitHub documents (`%` -> %25, CR -> %0D, LF -> %0A; in
  properties also `:` -> %3A and `,` -> %2C), and the other characters that could end a line or
  drive a terminal (C0/C1 controls, U+2028/U+2029) become visible escapes (`\\x1b`) first. So no
  byte of student output can start a line, and no command can be injected.
- the step summary (Markdown/HTML): feedback goes in `<pre>` and findings in a `<ul>` (an HTML
  block, so not read as Markdown either), with every `<`, `>`, `&` escaped and no blank line, so
  they cannot close the block, open a tag, or be read as Markdown.

Not in REPORTERS on purpose: it reads the environment and prints, and the project's own CI runs
`grade` on test classes, whose failures must not become annotations there. The CLI calls
`report_to_actions(result)` when asked (e.g. `grade ... --github`, or GITHUB_ACTIONS=true in a
classroom workflow).
"""

# No `from __future__ import annotations` here: this module's public `annotations()` would clash with it,
# and Python 3.11 evaluates every annotation below at import time without it.
import html
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TextIO

from ..feedback import ADVICE_HEAD
from ..findings import NOT_RUN, not_run_why
from ..i18n import _, ngettext
from ..results import ClassResult, SubmissionResult, TestResult
from ..text import visible
from .feedback_parts import feedback_view
from .gradebook import percent, points

MESSAGE_CHARS = 2000  # an annotation is a pop-up, not a log
DETAILS_CHARS = 20_000  # one test's feedback in the summary
SUMMARY_CHARS = 900_000  # GitHub rejects a step summary over 1 MiB


def escape_data(text: str) -> str:
    """A workflow command's message: GitHub's escaping, on text already made visible."""
    return visible(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value (title=...): data escaping plus `:` and `,`."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def annotation_message(test: TestResult) -> str:
    """What failed and what to check; the transcript and stderr stay in the summary and the logs."""
    fb = feedback_view(test)
    message = fb.summary + ("\n\n" + _(ADVICE_HEAD) + " " + fb.advice if fb.advice else "")
    return shorten(message.strip() or test.output.strip() or test.status, MESSAGE_CHARS)


def is_not_run(test: TestResult) -> bool:
    return test.status == "not_run" and not test.error


def not_run_reason(test: TestResult) -> str:
    """Why a test was not run, in one line: its output's first line without "Not run: "."""
    return (not_run_why(test.output) or "").strip() or _("not run")


def not_run_groups(tests: Iterable[TestResult]) -> dict[str, list[str]]:
    """Why -> the names of the tests not run for that reason, in order."""
    groups: dict[str, list[str]] = {}
    for t in tests:
        if is_not_run(t):
            groups.setdefault(not_run_reason(t), []).append(t.name)
    return groups


def command(kind: str, title: str, message: str) -> str:
    return f"::{kind} title={escape_property(title)}::{escape_data(shorten(message, MESSAGE_CHARS))}"


def submission_annotations(sub: SubmissionResult, prefix: str) -> list[str]:
    """A `::warning` per finding, an `::error` per failed visible test, a `::notice` per reason tests were not run."""
    lines = [command("warning", prefix + _("read this first"), finding) for finding in sub.findings]
    if sub.error:
        return [*lines, command("error", prefix + _("not graded"), sub.error)]
    shown = [t for t in sub.tests if t.visibility == "visible"]
    for t in shown:
        if t.status == "passed" or is_not_run(t):
            continue
        kind = _("grader error") if t.error else _("{score}/{max_score} points").format(
            score=points(t.score), max_score=points(t.max_score))
        lines.append(command("error", f"{prefix}{t.name} ({kind})", annotation_message(t)))
    for reason, names in not_run_groups(shown).items():
        lines.append(command("notice", prefix + _("{count} test(s) not run").format(count=len(names)),
                             "\n".join([_(NOT_RUN).format(why=reason), _("Tests not run:"),
                                         *(f"- {n}" for n in names)])))
    return lines


def annotations(result: ClassResult) -> list[str]:
    """Workflow command lines: per submission, a `::warning` per finding, an `::error` per failed visible
    test (or one if it could not be graded), and a `::notice` per reason visible tests were not run."""
    several = len(result.submissions) > 1
    return [line for sub in result.submissions
            for line in submission_annotations(sub, f"{sub.name}: " if several else "")]


def cell(text: str) -> str:
    """Text for a Markdown table cell."""
    return html.escape(" ".join(visible(text).split()), quote=False).replace("|", "&#124;")


def pre(text: str) -> str:
    return "<pre>" + html.escape(visible(shorten(text, DETAILS_CHARS)), quote=False) + "</pre>"


def html_item(text: str, inner: Iterable[str] = ()) -> str:
    """One `<li>` on one line, its text escaped, with a `<ul>` of `inner` items if any."""
    nested = "".join(f"<li>{cell(shorten(s, MESSAGE_CHARS))}</li>" for s in inner)
    return f"<li>{cell(shorten(text, MESSAGE_CHARS))}" + (f"<ul>{nested}</ul>" if nested else "") + "</li>"


def html_list(items: Iterable[str]) -> str:
    """`<li>` lines in a `<ul>`, no blank line: an HTML block, where Markdown stays off."""
    return "\n".join(["<ul>", *items, "</ul>"])


def mark_of(test: TestResult) -> str:
    if test.status == "passed":
        return "✅"
    return "⚠️ " + _("grader error") if test.error else "➖ " + _("not run") if test.status == "not_run" else "❌"


def submission_summary(sub: SubmissionResult) -> list[str]:
    lines = ["### " + _("{name}: {score} / {max_score} points ({percent}%)").format(
        name=cell(sub.name), score=points(sub.score), max_score=points(sub.max_score),
        percent=points(percent(sub.score, sub.max_score))), ""]
    if sub.findings:
        lines += ["**" + _("Read this first:") + "**", "", html_list(map(html_item, sub.findings)), ""]
    notes = [sub.override_note] * bool(sub.override) + [f"{t.name}: {t.override_note}" for t in sub.tests
                                                        if t.override and t.visibility == "visible"]
    if notes:
        lines += ["**" + _("Set by your instructor:") + "**", "", html_list(map(html_item, notes)), ""]
    if sub.error:
        return [*lines, _("**Not graded**: every test scored 0. The reason:"), "", pre(sub.error), ""]
    shown = [t for t in sub.tests if t.visibility == "visible"]
    hidden = [t for t in sub.tests if t.visibility != "visible"]
    lines += ["| | " + " | ".join((_("scenario"), _("tags"), _("points"))) + " |", "|---|---|---|---:|"]
    for t in shown:
        lines.append(f"| {mark_of(t)} | {cell(t.name)} | {cell(', '.join(t.tags))} | "
                     f"{points(t.score)} / {points(t.max_score)} |")
    if hidden:
        name = ngettext("{count} hidden test", "{count} hidden tests", len(hidden)).format(count=len(hidden))
        lines.append(f"| 🔒 | {name} | | "
                     f"{points(sum(t.score for t in hidden))} / {points(sum(t.max_score for t in hidden))} |")
    lines.append("")
    groups = not_run_groups(shown)
    if groups:
        lines += [_("**Not run** (0 points until the cause is fixed):"), "",
                  html_list(html_item(ngettext("{reason} ({count} test):", "{reason} ({count} tests):", len(names))
                                      .format(reason=reason, count=len(names)), names)
                            for reason, names in groups.items()),
                  ""]
    for t in shown:
        if t.status != "passed" and not is_not_run(t):
            lines += [f"<details><summary>❌ {cell(t.name)} ({points(t.score)} / {points(t.max_score)})</summary>",
                      "", pre(t.output), "", "</details>", ""]
    return lines


def step_summary(result: ClassResult) -> str:
    lines = ["## " + _("{assignment}: labgrade results").format(assignment=cell(result.assignment)), ""]
    if len(result.submissions) > 1:
        lines += ["| " + " | ".join((_("submission"), _("score"), _("failed tags"))) + " |", "|---|---:|---|"]
        lines += [f"| {cell(s.name)} | {points(s.score)} / {points(s.max_score)} | "
                  f"{cell(', '.join(s.failed_tags)) or '-'} |" for s in result.submissions]
        lines.append("")
    size = sum(len(line) + 1 for line in lines)
    for sub in result.submissions:
        part = submission_summary(sub)
        size += sum(len(line) + 1 for line in part)
        if size > SUMMARY_CHARS:
            lines.append("_" + _("The rest does not fit in a job summary: the annotations list every failed test.")
                         + "_")
            break
        lines += part
    return "\n".join(lines) + "\n"


def write_step_summary(result: ClassResult, path: Path) -> list[Path]:
    """Append the Markdown summary to `path` (GitHub's $GITHUB_STEP_SUMMARY is appended to, not replaced)."""
    with path.open("a", encoding="utf-8") as f:
        f.write(step_summary(result))
    return [path]


def report_to_actions(result: ClassResult, environ: Mapping[str, str] | None = None,
                      stdout: TextIO | None = None) -> list[Path]:
    """Inside GitHub Actions (GITHUB_ACTIONS=true): print the annotations, and append the summary to
    $GITHUB_STEP_SUMMARY when it is set. Elsewhere: nothing. Returns the files written."""
    env = os.environ if environ is None else environ
    if env.get("GITHUB_ACTIONS") != "true":
        return []
    out = sys.stdout if stdout is None else stdout
    for line in annotations(result):
        print(line, file=out)
    out.flush()
    summary = env.get("GITHUB_STEP_SUMMARY")
    return write_step_summary(result, Path(summary)) if summary else []
