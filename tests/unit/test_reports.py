"""Reporters: grades.csv, junit.xml, report.html and GitHub Actions output, from a hand-built class.

The class holds what real classes hold and worse: a submission that could not be graded, a grader
error, a hidden test, non-ASCII names, and student output that tries to inject HTML, JavaScript,
XML-invalid bytes, terminal escapes and GitHub workflow commands.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from grader.assignment.model import Scenario
from grader.feedback import Feedback, feedback_of
from grader.i18n import use
from grader.report import REPORTERS, classroom, github, gradescope, write_all
from grader.report.charts import histogram
from grader.report.feedback_parts import feedback_view
from grader.report.gradebook import number, rows, write_grades_csv
from grader.report.html import write_html
from grader.report.junit import NOT_XML, junit_tree, write_junit, xml_text
from grader.report.timeline import time_scale, timeline
from grader.results import ClassResult, SubmissionResult
from grader.results import TestResult as Result  # aliased: pytest would try to collect Test*
from grader.text import visible
from tests.unit.outcomes import failed, program

XSS = "</script><script>alert(1)</script>"
XSS_NAME = "mallory<img src=x onerror=alert(2)>"
CONTROL = "\x00\x1b[31m\u2028"  # NUL, an ANSI colour, a Unicode line separator
WORKFLOW = "::add-mask::x\n::error::y"
HOSTILE = f"{XSS} {CONTROL} {WORKFLOW}"

ECHO = Scenario(name="server echoes one line", tags=("protocol",), points=2.0,
                steps=({"start": "server"}, {"connect": "alice"}, {"send": {"as": "alice", "data": "hi\n"}},
                       {"expect": {"as": "alice", "data": "hi\n"}}),
                feedback="Loop on recv() until it returns b'' and send each chunk with sendall().")


def failed_output(scenario: Scenario) -> Feedback:
    """Feedback as grader.feedback lays it out, with student bytes everywhere a student can put them."""
    events = [[0.0191, "server", "started", "/usr/bin/python3 server.py 41756"],
              [0.0862, "server", "listening", "port 41756, backlog 5"],
              [0.0871, "alice", "connected", ""],
              [0.0872, "alice", "sent", repr("hi\n")],
              [0.0901, "server", "stderr", repr(HOSTILE)],
              [3.1204, "alice", "received", repr("hé " + XSS)],
              [3.1210, "grader", "step failed", "expected 'hi\\n', got something else"]]
    return feedback_of(scenario, failed(
        3, "expect alice 'hi\\n'", "alice received the wrong bytes", "'hi\\n'", HOSTILE, events, 2,
        {"server": program("exited with code 1",
                           f"Traceback (most recent call last):\n{XSS}\n{CONTROL}\u2028\x85\n{WORKFLOW}\n")}))


def split_feedback(output: str | Feedback) -> Any:
    """The parts report.html shows of a failed test with this output."""
    return feedback_view(outcome("t", (), 1, "failed", output))


def outcome(name: str, tags: tuple[str, ...], points: float, status: str = "passed",
            output: str | Feedback = "Passed.", visibility: str = "visible", error: bool = False) -> Result:
    """A test's result; a failed scenario's `output` as its feedback in parts (grader/feedback.py)."""
    text, parts = (output, None) if isinstance(output, str) else (output.text(), output)
    return Result(name, tags, points if status == "passed" else 0.0, points, status, text, visibility,
                  error, duration=0.25, feedback=parts)


def klass() -> ClassResult:
    alice = SubmissionResult("echo-alice-ünïcødé", (
        outcome("server echoes one line", ("protocol",), 2, "failed", failed_output(ECHO)),
        outcome("second client is served", ("concurrency",), 3),
        outcome("children are reaped", ("cleanup", "concurrency"), 2, "failed", failed_output(ECHO),
             visibility="hidden"),
        Result("partial credit", ("protocol",), 0.5, 1.5, "failed", "Half of the lines came back.", "visible",
               duration=0.25),
    ))
    bob = SubmissionResult(XSS_NAME, (
        outcome("server echoes one line", ("protocol",), 2),
        outcome("second client is served", ("concurrency",), 3, "failed",
             "The grader itself failed on this test (not a problem in your code); your instructor has the "
             "details.\n\nTraceback: boom", error=True),
        outcome("children are reaped", ("cleanup", "concurrency"), 2, visibility="hidden"),
        outcome("partial credit", ("protocol",), 1.5),
    ))
    why = f"the grading run failed (pytest exit 3):\n{HOSTILE}"
    carol = SubmissionResult("echo-carol", tuple(
        outcome(n, tags, p, "failed", f"Not graded: {why}", v, error=True)
        for n, tags, p, v in [("server echoes one line", ("protocol",), 2, "visible"),
                              ("second client is served", ("concurrency",), 3, "visible"),
                              ("children are reaped", ("cleanup", "concurrency"), 2, "hidden"),
                              ("partial credit", ("protocol",), 1.5, "visible")]), error=why)
    return ClassResult("echo-concurrent", (alice, bob, carol))


@pytest.fixture
def out(tmp_path: Path) -> Path:
    written = write_all(klass(), tmp_path)
    assert {p.name for p in written} >= {"grades.csv", "junit.xml", "report.html"}
    return tmp_path


def test_the_class_reporters_are_registered() -> None:
    assert {"grades.csv", "junit.xml", "report.html"} <= set(REPORTERS)


# -- grades.csv ------------------------------------------------------------------------------

def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def test_csv_columns_and_totals(out: Path) -> None:
    header, table = read_csv(out / "grades.csv")
    assert header == ["submission", "score", "max_score", "percent", "server echoes one line",
                      "second client is served", "children are reaped", "partial credit",
                      "tag:protocol", "tag:concurrency", "tag:cleanup", "overrides", "findings"]
    assert [r["submission"] for r in table] == [s.name for s in klass().submissions]
    for row, sub in zip(table, klass().submissions, strict=True):
        assert float(row["score"]) == sub.score
        assert float(row["max_score"]) == sub.max_score == 8.5
        assert sum(float(row[t.name]) for t in sub.tests) == pytest.approx(sub.score)
        assert float(row["percent"]) == pytest.approx(100 * sub.score / sub.max_score, abs=0.05)
        for tag in ("protocol", "concurrency", "cleanup"):
            assert float(row[f"tag:{tag}"]) == pytest.approx(sum(t.score for t in sub.tests if tag in t.tags))
    alice, bob, carol = table
    assert (alice["score"], alice["partial credit"], alice["tag:concurrency"]) == ("3.5", "0.5", "3")
    assert (bob["score"], bob["percent"]) == ("5.5", "64.7")
    assert carol["score"] == carol["tag:protocol"] == "0"
    assert [r["findings"] for r in table] == ["", "", ""]


def test_csv_union_of_scenarios_keeps_first_order_and_leaves_gaps_empty(tmp_path: Path) -> None:
    result = ClassResult("lab", (SubmissionResult("a", (outcome("one", ("x",), 1), outcome("two", ("y",), 1))),
                                 SubmissionResult("b", (outcome("three", ("z",), 2), outcome("one", ("x",), 1)))))
    write_grades_csv(result, tmp_path)
    header, (a, b) = read_csv(tmp_path / "grades.csv")
    assert header[4:] == ["one", "two", "three", "tag:x", "tag:y", "tag:z", "overrides", "findings"]
    assert (a["three"], b["two"], b["three"], b["score"]) == ("", "", "2", "3")


def test_csv_guards_formulas_and_never_repeats_a_column() -> None:
    sub = SubmissionResult('=HYPERLINK("x")', (outcome("score", (), 1), outcome("tag:x", (), 1),
                                               outcome("findings", (), 1)), findings=("@SUM(A1) is missing",))
    result = ClassResult("lab", (sub,))
    header, (row,) = rows(result)
    assert len(set(header)) == len(header)
    assert header[4:] == ["scenario:score", "scenario:tag:x", "scenario:findings", "overrides", "findings"]
    assert row["submission"] == """'=HYPERLINK("x")"""
    assert row["findings"] == "'@SUM(A1) is missing"


@pytest.mark.parametrize(("value", "text"), [(29.0, "29"), (2.5, "2.5"), (1 / 3, "0.3333"), (1e6, "1000000"),
                                             (-0.0, "0"), (0.0, "0")])
def test_numbers_are_plain_decimals(value: float, text: str) -> None:
    assert number(value) == text


# -- junit.xml -------------------------------------------------------------------------------

def test_junit_counts_and_structure(out: Path) -> None:
    root = ET.parse(out / "junit.xml").getroot()
    assert root.tag == "testsuites" and root.get("name") == "echo-concurrent"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("12", "3", "5")
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [s.name for s in klass().submissions]
    for suite, sub in zip(suites, klass().submissions, strict=True):
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == [t.name for t in sub.tests]
        assert {c.get("classname") for c in cases} == {"echo-concurrent"}
        assert [c.get("time") for c in cases] == ["0.250"] * len(cases)
        assert int(suite.get("failures", "")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("errors", "")) == len(suite.findall("testcase/error"))
        assert int(suite.get("tests", "")) == len(sub.tests)
        assert suite.get("time") == "1.000"
    alice, bob, carol = suites
    assert len(alice.findall("testcase/failure")) == 3 and not alice.findall("testcase/error")
    assert [c.get("name") for c in bob.findall("testcase[error]")] == ["second client is served"]
    assert len(carol.findall("testcase/error")) == 4
    assert "pytest exit 3" in (carol.findtext("system-err") or "")


def test_junit_keeps_student_output_as_text(out: Path) -> None:
    raw = (out / "junit.xml").read_bytes()
    assert b"\x00" not in raw and b"\x1b" not in raw
    assert b"<script>" not in raw
    root = ET.parse(out / "junit.xml").getroot()
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message") == "Failed at step 4 of 4: expect alice 'hi\\n'"
    text = failure.text or ""
    assert XSS in text and WORKFLOW in text  # markup and commands survive, as inert text
    assert "\\x00\\x1b[31m" in text  # control characters survive as visible escapes
    assert "echo-alice-ünïcødé" in [s.get("name") for s in root.iter("testsuite")]


def test_xml_text_leaves_no_character_xml_cannot_hold() -> None:
    every = "".join(map(chr, range(0x20))) + "\x7f\ud800\udfff\ufffe\uffff\U0001f600é"
    cleaned = xml_text(every)
    assert not NOT_XML.search(cleaned)
    assert all(ch in cleaned for ch in "\t\n\r\U0001f600é")
    assert "\\x00" in cleaned and "\\x1b" in cleaned and "\\udfff" in cleaned
    ET.fromstring(f"<a b='{html.escape(cleaned)}'>{html.escape(cleaned)}</a>")


def test_junit_properties_carry_the_scores(out: Path) -> None:
    for suite, sub in zip(ET.parse(out / "junit.xml").getroot().iter("testsuite"), klass().submissions, strict=True):
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert float(props["score"] or "") == sub.score and float(props["max_score"] or "") == sub.max_score
        assert ("not_graded" in props) == bool(sub.error)


# -- report.html -----------------------------------------------------------------------------

class Page(HTMLParser):
    """What a browser would build: elements with attributes, script bodies, and the text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


def parse_html(path: Path) -> tuple[str, Page]:
    source = path.read_text(encoding="utf-8")
    page = Page()
    page.feed(source)
    return source, page


def test_html_escapes_everything_a_student_wrote(out: Path) -> None:
    source, page = parse_html(out / "report.html")
    assert "<script>alert" not in source.lower()
    assert "<img" not in source
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in source
    assert "\x00" not in source and "\x1b" not in source and "\u2028" not in source
    assert len(page.scripts) == 1 and "alert" not in page.scripts[0]
    assert [t for t, _ in page.tags].count("script") == 1
    handlers = [k for _, attrs in page.tags for k in attrs if k.startswith("on")]
    assert handlers == []
    assert XSS_NAME in "".join(page.text)  # shown, as text


def test_html_allows_exactly_its_own_script(out: Path) -> None:
    source, page = parse_html(out / "report.html")
    csp = next(a["content"] for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    digest = base64.b64encode(hashlib.sha256(page.scripts[0].encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1]
    assert "http://" not in source and "https://" not in source  # nothing to fetch


def test_html_has_the_class_charts_matrix_and_sections(out: Path) -> None:
    source, page = parse_html(out / "report.html")
    for sub in klass().submissions:
        assert html.escape(sub.name, quote=False) in source
    svgs = [a.get("aria-label", "") for t, a in page.tags if t == "svg"]
    assert {"histogram of scores", "pass rate per scenario", "pass rate per tag"} <= set(svgs)
    assert any(label.startswith("timeline of") for label in svgs)
    assert 'class="badge hidden-test"' in source and "hidden from students" in source
    cells = [a.get("class") for t, a in page.tags if t == "td" and a.get("class") in ("passed", "failed", "error")]
    assert (cells.count("passed"), cells.count("failed"), cells.count("error")) == (4, 3, 5)
    text = " ".join(page.text)
    assert "could not be graded" in text and "pytest exit 3" in text
    assert "Loop on recv() until it returns b'' and send each chunk with sendall()." in text
    assert "Last lines server wrote on stderr" in text


def test_html_scores_agree_with_the_model(out: Path) -> None:
    _, page = parse_html(out / "report.html")
    rows_ = [a["data-name"] for t, a in page.tags if t == "tr" and "data-name" in a]
    assert rows_ == [s.name for s in klass().submissions]
    tds = [a for t, a in page.tags if t == "td"]
    names = [i for i, a in enumerate(tds) if a.get("class") == "name" and "data-v" in a]
    for i, sub in zip(names, klass().submissions, strict=True):
        assert float(tds[i + 1]["data-v"]) == sub.score


def test_feedback_is_read_back_into_its_parts() -> None:
    fb = split_feedback(failed_output(ECHO))
    assert fb.summary.startswith("Failed at step 4 of 4: expect alice")
    assert "observed: " + visible(HOSTILE.split("\n")[0]) in fb.summary  # made safe: grader/text.py
    assert fb.advice == "Loop on recv() until it returns b'' and send each chunk with sendall()."
    assert [(e.actor, e.event) for e in fb.events] == [
        ("server", "started"), ("server", "listening"), ("alice", "connected"), ("alice", "sent"),
        ("server", "stderr"), ("alice", "received"), ("grader", "step failed")]
    assert fb.events[1].detail == "port 41756, backlog 5" and fb.events[0].time == 0.019
    assert fb.events[2].detail == "" and fb.events[4].detail == repr(HOSTILE)
    assert fb.notes == ("(2 more events were not recorded)",)
    (tail,) = fb.stderr
    assert (tail.program, tail.exit) == ("server", "exited with code 1")
    assert tail.lines[-2:] == ("::add-mask::x", "::error::y")


def test_feedback_without_sections_is_all_summary() -> None:
    assert split_feedback("Not graded: boom\n\nmore").summary == "Not graded: boom\n\nmore"
    assert split_feedback("Passed.").events == ()


def test_timeline_has_a_lane_per_actor_and_a_linear_time_axis() -> None:
    many = [[0.01 * i, f"c{i % 3}", "sent", "'x'"] for i in range(80)] + [[4.0, "server", "zombies = 3", ""]]
    fb = split_feedback(feedback_of(ECHO, failed(events=many)))
    assert any(e.skipped == 21 for e in fb.events)  # feedback keeps 30 + 30 of 81 lines
    tl = timeline(fb.events)
    assert tl is not None
    assert [lane.actor for lane in tl.lanes] == ["c0", "c1", "c2", "server"]
    assert len(tl.marks) == 60 and len(tl.cuts) == 1
    # the scale: 0 to 4 s by 0.5 s, evenly spaced; every event where its time falls on it
    assert [label for _, label in tl.ticks] == [f"{0.5 * k:.1f} s" for k in range(9)]
    (x0, _), (x1, _) = tl.ticks[:2]
    per_second = (x1 - x0) / 0.5
    assert all(abs(x - (x0 + 0.5 * k * per_second)) < 0.02 for k, (x, _) in enumerate(tl.ticks))
    times = [float(m.title.split("s ", 1)[0]) for m in tl.marks]
    assert all(abs(m.x - (x0 + t * per_second)) < 0.02 for m, t in zip(tl.marks, times, strict=True))
    assert tl.marks[-1].x == tl.ticks[-1][0] and max(m.x for m in tl.marks) < tl.width
    # the cut sits between the last event before it (0.29 s) and the first after (0.80 s)
    assert x0 + 0.29 * per_second < tl.cuts[0][0] < x0 + 0.80 * per_second
    assert timeline(fb.events[:2]) is None  # too short to draw: the table says it all


@pytest.mark.parametrize(("span", "step", "labels"), [(4.0, 0.5, "0.0 s"), (0.087, 0.01, "0.00 s"),
                                                    (0.0, 0.001, "0.000 s"), (37.0, 5.0, "0 s"),
                                                    (1.0, 0.1, "0.0 s"), (0.2, 0.02, "0.00 s")])
def test_the_time_scale_has_round_steps(span: float, step: float, labels: str) -> None:
    got, decimals = time_scale(span)
    assert got == pytest.approx(step) and f"{0:.{decimals}f} s" == labels


def test_histogram_puts_full_marks_in_the_last_bin() -> None:
    h = histogram([0.0, 5.0, 10.0, 99.9, 100.0, 100.0])
    assert [c.count for c in h.columns] == [2, 1, 0, 0, 0, 0, 0, 0, 0, 3]
    assert h.columns[-1].height > h.columns[0].height > h.columns[1].height > 0 == h.columns[2].height


# -- GitHub Actions ----------------------------------------------------------------------------

def command_lines(text: str) -> list[str]:
    """The lines the Actions runner would read, split as it splits them."""
    return re.split(r"\r\n|\r|\n", text)


def test_workflow_command_escaping_is_githubs() -> None:
    assert github.escape_data("100% done\r\nnext") == "100%25 done\\r%0Anext"  # a CR is shown, never acted on
    assert github.escape_property("a: b, c%\n") == "a%3A b%2C c%25%0A"
    assert github.escape_data("a\x00b\x1b[31m\u2028") == "a\\x00b\\x1b[31m\\u2028"


def test_annotations_cannot_inject_commands() -> None:
    lines = github.annotations(klass())
    # alice's two visible failures, bob's grader error, carol's "not graded"; none for the hidden test
    assert len(lines) == 4
    for line in lines:
        assert command_lines(line) == [line]
        assert not any(ch in line for ch in "\x00\x1b\x85\u2028\u2029")
        head, sep, message = line.partition("::")[2].partition("::")
        assert sep and head.startswith("error title=") and "::" not in head
        assert not message.startswith("::")
    assert "::add-mask::x%0A::error::y" in lines[0]
    assert lines[0].startswith("::error title=echo-alice-ünïcødé%3A server echoes one line (0/2 points)::")
    assert "What to check: Loop on recv()" in lines[0]
    title = github.escape_property(f"{XSS_NAME}: second client is served (grader error)")
    assert lines[2].startswith(f"::error title={title}::The grader itself failed")
    assert lines[3].startswith("::error title=echo-carol%3A not graded::")
    assert not any("children are reaped" in line for line in lines)


def test_a_test_name_cannot_add_properties() -> None:
    sub = SubmissionResult("x", (outcome("evil,file=/etc/passwd::", (), 1, "failed", "no"),))
    (line,) = github.annotations(ClassResult("lab", (sub,)))
    assert line == "::error title=evil%2Cfile=/etc/passwd%3A%3A (0/1 points)::no"


def test_step_summary_is_appended_and_escaped(tmp_path: Path) -> None:
    path = tmp_path / "summary.md"
    path.write_text("# earlier step\n")
    github.write_step_summary(klass(), path)
    text = path.read_text()
    assert text.startswith("# earlier step\n## echo-concurrent: labgrade results")
    assert "<script>" not in text and "<img" not in text and "\x00" not in text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.count("<details>") == text.count("</details>") == 3 and text.count("<pre>") == text.count("</pre>")
    assert "| ❌ | server echoes one line | protocol | 0 / 2 |" in text
    assert "| 🔒 | 1 hidden test | | 0 / 2 |" in text
    assert "children are reaped" not in text  # a hidden test's name is not shown to students
    for sub in klass().submissions:
        assert f"{number(sub.score)} / {number(sub.max_score)} points" in text


SUMMARY_WORDS = {  # the job summary's frame and numbers, as each language writes them
    "en": ["## echo-concurrent: labgrade results", "| submission | score | failed tags |",
           "### echo-alice-ünïcødé: 3.5 / 8.5 points (41.2%)", "| | scenario | tags | points |",
           "| ❌ | partial credit | protocol | 0.5 / 1.5 |", "| 🔒 | 1 hidden test | | 0 / 2 |",
           "| ⚠️ grader error | second client is served |", "**Not graded**: every test scored 0. The reason:",
           "Failed at step 4 of 4", "0.019s"],
    "fr": ["## echo-concurrent : résultats de labgrade", "| rendu | note | étiquettes échouées |",
           "### echo-alice-ünïcødé : 3,5 / 8,5 points (41,2 %)", "| | scénario | étiquettes | points |",
           "| ❌ | partial credit | protocol | 0,5 / 1,5 |", "| 🔒 | 1 test caché | | 0 / 2 |",
           "| ⚠️ erreur du correcteur | second client is served |",
           "**Non noté** : chaque test a obtenu 0. La raison :", "Échec à l'étape 4 sur 4", "0,019s"],
}


@pytest.mark.parametrize(("lang", "other"), [("en", "fr"), ("fr", "en")])
def test_the_job_summary_and_annotations_speak_the_language(lang: str, other: str) -> None:
    use(lang)
    try:
        result = klass()  # its feedback made in that language, as a `grade --lang` run makes it
        text, lines = github.step_summary(result), github.annotations(result)
    finally:
        use("en")
    assert [w for w in SUMMARY_WORDS[lang] if w not in text] == []
    assert [w for w in SUMMARY_WORDS[other] if w in text and w not in SUMMARY_WORDS[lang]] == []
    point = "%2C" if lang == "fr" else "."  # a comma in a title is escaped, as GitHub asks
    assert any(f"partial credit (0{point}5/1{point}5 points)::" in line for line in lines)


def test_report_to_actions_only_inside_actions(tmp_path: Path) -> None:
    summary = tmp_path / "step-summary.md"
    stdout = io.StringIO()
    assert github.report_to_actions(klass(), {"GITHUB_STEP_SUMMARY": str(summary)}, stdout) == []
    assert stdout.getvalue() == "" and not summary.exists()
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    assert github.report_to_actions(klass(), env, stdout) == [summary]
    printed = stdout.getvalue().splitlines()
    assert printed == github.annotations(klass())
    assert all(line.startswith("::error title=") for line in printed)
    assert "labgrade results" in summary.read_text()


# -- all formats agree -------------------------------------------------------------------------

def test_scores_agree_across_formats(out: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    _, table = read_csv(out / "grades.csv")
    csv_scores = {r["submission"]: float(r["score"]) for r in table}
    junit_scores = {s.get("name"): float(next(p.get("value", "") for p in s.iter("property")
                                              if p.get("name") == "score"))
                    for s in ET.parse(out / "junit.xml").getroot().iter("testsuite")}
    _, page = parse_html(out / "report.html")
    tds = [a for t, a in page.tags if t == "td"]
    html_scores = {a["data-v"]: float(tds[i + 1]["data-v"]) for i, a in enumerate(tds)
                   if a.get("class") == "name" and "data-v" in a}
    summary = github.step_summary(klass())
    for sub in klass().submissions:
        assert csv_scores[sub.name] == junit_scores[sub.name] == html_scores[sub.name] == sub.score
        assert f"{html.escape(sub.name)}: {number(sub.score)} / {number(sub.max_score)} points" in summary


def test_reporters_are_pure_functions_of_the_model(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        folder.mkdir()
        write_grades_csv(klass(), folder)
        write_junit(klass(), folder)
        write_html(klass(), folder)
    for name in ("grades.csv", "junit.xml", "report.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_an_empty_class_still_renders(tmp_path: Path) -> None:
    written = write_all(ClassResult("lab"), tmp_path)
    assert {p.name for p in written} == {"results.json", "grades.csv", "junit.xml", "report.html"}
    assert "<svg" in (tmp_path / "report.html").read_text()


# -- findings and tests not run, in every format ------------------------------------------------

COMPILE = "server.py does not compile: line 29: expected ':'"
NOT_COMPILED = (f"Not run: {COMPILE}.\nThis is reported once, at the top of your feedback: fix it first, "
                "then every test runs again.")
REQUIRES = "Not run: requires 'second client is served', which did not pass"
MISSING = ("client<script>alert(3)</script>.py is missing: the lab asks for server.py and client.py, "
           "and no file handed in is called client.py.")
MOVED = "server.py and client.py were found in TP1\x1b[2J/ (not at the top of the hand-in): graded from there."
MOVED_SHOWN = MOVED.replace("\x1b", "\\x1b")  # how every format shows the control character
NOTE = "server.py and client.py were found in TP1/ (not at the top of the hand-in): graded from there."


def findings_class() -> ClassResult:
    """dora's server does not compile (every test not run); eve's hand-in is odd (two findings, one with
    markup, one with a control character) and two tests need one she failed; fay passed, with a note."""
    dora = SubmissionResult("echo-dora", (
        outcome("server echoes one line", ("protocol",), 2, "not_run", NOT_COMPILED),
        outcome("second client is served", ("concurrency",), 3, "not_run", NOT_COMPILED),
        outcome("children are reaped", ("cleanup", "concurrency"), 2, "not_run", NOT_COMPILED, visibility="hidden"),
        outcome("partial credit", ("protocol",), 1.5, "not_run", NOT_COMPILED),
    ), findings=(COMPILE,))
    eve = SubmissionResult("echo-eve", (
        outcome("server echoes one line", ("protocol",), 2),
        outcome("second client is served", ("concurrency",), 3, "failed", failed_output(ECHO)),
        outcome("children are reaped", ("cleanup", "concurrency"), 2, "not_run", REQUIRES, visibility="hidden"),
        outcome("partial credit", ("protocol",), 1.5, "not_run", REQUIRES),
    ), findings=(MISSING, MOVED))
    fay = SubmissionResult("echo-fay", (
        outcome("server echoes one line", ("protocol",), 2),
        outcome("second client is served", ("concurrency",), 3),
        outcome("children are reaped", ("cleanup", "concurrency"), 2, visibility="hidden"),
        outcome("partial credit", ("protocol",), 1.5),
    ), findings=(NOTE,))
    return ClassResult("echo-concurrent", (dora, eve, fay))


@pytest.fixture
def found(tmp_path: Path) -> Path:
    write_all(findings_class(), tmp_path)
    return tmp_path


def test_gradescope_opens_with_the_findings_and_knows_only_passed_and_failed(found: Path) -> None:
    dora, eve, fay = (json.loads((found / name / "results.json").read_text(encoding="utf-8"))
                      for name in ("echo-dora", "echo-eve", "echo-fay"))
    assert dora["output"].splitlines() == [COMPILE, "0 / 8.5 points"]
    assert eve["output"].splitlines() == [MISSING, MOVED_SHOWN, "2 / 8.5 points"]
    assert fay["output"].splitlines() == [NOTE, "8.5 / 8.5 points"]
    assert [t["status"] for t in dora["tests"]] == ["failed"] * 4
    assert [t["output"] for t in dora["tests"]] == [NOT_COMPILED] * 4  # as is
    assert [(t["status"], t["score"]) for t in eve["tests"]] == [("passed", 2), ("failed", 0), ("failed", 0),
                                                                 ("failed", 0)]
    assert eve["tests"][3]["output"] == REQUIRES
    assert gradescope(SubmissionResult("x", (outcome("a", (), 1),)))["output"] == "1 / 1 points"  # none: as before


def test_junit_skips_tests_not_run_and_carries_the_findings(found: Path) -> None:
    raw = (found / "junit.xml").read_bytes()
    assert b"\x1b" not in raw and b"<script>" not in raw
    root = ET.parse(found / "junit.xml").getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == ("12", "1", "0", "6")
    dora, eve, fay = root.findall("testsuite")
    assert (dora.get("failures"), dora.get("errors"), dora.get("skipped")) == ("0", "0", "4")
    assert (eve.get("failures"), eve.get("errors"), eve.get("skipped")) == ("1", "0", "2")
    assert (fay.get("failures"), fay.get("errors"), fay.get("skipped")) == ("0", "0", "0")
    for case in dora.findall("testcase"):
        (child,) = list(case)
        assert child.tag == "skipped"
        assert child.get("message") == f"Not run: {COMPILE}."  # the first line
        assert child.text == NOT_COMPILED
    assert [c.get("name") for c in eve.findall("testcase[skipped]")] == ["children are reaped", "partial credit"]
    assert [c.get("name") for c in eve.findall("testcase[failure]")] == ["second client is served"]
    assert [c.get("message") for c in eve.findall("testcase/skipped")] == [REQUIRES, REQUIRES]

    def props(suite: ET.Element) -> dict[str | None, str | None]:
        return {p.get("name"): p.get("value") for p in suite.iter("property")}

    assert props(dora)["findings"] == COMPILE and dora.findtext("system-out") == COMPILE
    assert props(eve)["findings"] == f"{MISSING} | {MOVED_SHOWN}"
    assert (eve.findtext("system-out") or "").splitlines() == [MISSING, MOVED_SHOWN]  # markup, as text
    assert props(fay)["findings"] == NOTE
    plain = junit_tree(klass()).getroot()  # no findings: neither property nor system-out
    suite = plain.find("testsuite") if plain is not None else None
    assert suite is not None and "findings" not in props(suite) and suite.find("system-out") is None


def test_csv_adds_the_findings_as_the_last_column(found: Path) -> None:
    header, (dora, eve, fay) = read_csv(found / "grades.csv")
    assert header == ["submission", "score", "max_score", "percent", "server echoes one line",
                      "second client is served", "children are reaped", "partial credit",
                      "tag:protocol", "tag:concurrency", "tag:cleanup", "overrides", "findings"]
    assert dora["findings"] == COMPILE
    assert eve["findings"] == f"{MISSING} | {MOVED_SHOWN}"
    assert fay["findings"] == NOTE
    assert (dora["score"], dora["partial credit"], dora["tag:protocol"]) == ("0", "0", "0")  # not run: 0 points
    assert (eve["score"], eve["tag:concurrency"]) == ("2", "0")
    assert "\x1b" not in (found / "grades.csv").read_text(encoding="utf-8")


def test_a_test_not_run_has_no_transcript_to_read_back() -> None:
    fb = split_feedback(NOT_COMPILED)
    assert fb.summary == NOT_COMPILED and (fb.advice, fb.events, fb.stderr) == ("", (), ())
    quoted = "Not run: requires 'x'\n\nWhat to check:\n  y\n\nTranscript (seconds since the test started):\n  0.1s a b"
    assert split_feedback(quoted).summary == quoted  # a reason is only a reason, whatever it quotes


def section(source: str, anchor: str) -> str:
    """One submission's section of report.html."""
    start = source.index(f'<section class="card sub" id="{anchor}">')
    return source[start:source.index("</section>", start)]


def test_html_shows_not_run_as_its_own_outcome(found: Path) -> None:
    source, page = parse_html(found / "report.html")
    cells = [a["class"] for t, a in page.tags if t == "td" and a.get("class") in ("passed", "failed", "not-run",
                                                                                  "error")]
    assert (cells.count("passed"), cells.count("failed"), cells.count("not-run"), cells.count("error")) == (5, 1, 6, 0)
    titles = [a["title"] for t, a in page.tags if t == "td" and a.get("class") == "not-run"]
    assert titles[0] == "server echoes one line: not run, 0 of 2 points"
    # both pass-rate charts draw a grey segment; the legend names it
    charts = re.findall(r'<svg class="chart bars".*?</svg>', source, re.DOTALL)
    assert len(charts) == 2 and all('class="seg-not-run"' in chart for chart in charts)
    def not_run(chart: str) -> list[str]:
        return re.findall(r'class="seg-not-run"[^>]*><title>(\d+) not run</title>', chart)

    assert not_run(charts[0]) == ["1", "1", "2", "2"]  # per scenario: dora's four, eve's two
    assert not_run(charts[1]) == ["3", "3", "2"]  # per tag: protocol, concurrency, cleanup
    assert 'class="key not-run"' in source and ".seg-not-run { fill: var(--skip); }" in source
    dora = section(source, "s0")
    assert dora.count('<article class="test not-run"') == 4
    assert dora.count('<span class="badge not-run">not run</span>') == 4
    assert dora.count('<p class="reason">') == 4 and "Transcript" not in dora and "<svg" not in dora
    assert html.unescape(dora).count(f'<p class="reason">{NOT_COMPILED}</p>') == 4  # the reason, whole
    assert "4 of 4 tests not run: they score 0 and fail under none of their tags." in dora
    eve = section(source, "s1")
    assert eve.count('<article class="test not-run"') == 2 and eve.count('<article class="test failed"') == 1
    assert 'aria-label="timeline of second client is served"' in eve  # the failed test keeps its transcript
    stats = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", source))
    assert stats["tests not run"] == "6" and stats["grader errors"] == "0"


def test_html_puts_the_findings_first_as_text(found: Path) -> None:
    source, page = parse_html(found / "report.html")
    assert "<script>alert(3)" not in source and "\x1b" not in source
    assert [t for t, _ in page.tags].count("script") == 1 and "alert" not in page.scripts[0]
    eve = section(source, "s1")
    assert eve.index('<div class="findings"') < eve.index("<article")  # before its tests
    items = re.findall(r"<li>(.*?)</li>", eve[eve.index('<div class="findings"'):eve.index("</div>")])
    assert [html.unescape(i) for i in items] == [MISSING, MOVED_SHOWN]  # shown as text, the ESC visible
    assert "Read first" in eve
    assert 'class="findings"' not in section(source, "s0").split("<article")[1]
    fay = section(source, "s2")
    assert NOTE in html.unescape(fay) and "All 4 tests passed." in fay
    badges = re.findall(r'<span class="badge findings" title="(\d) finding\(s\) to read first">', source)
    assert badges == ["1", "2", "1"]  # the matrix marks who has something to read first


def test_classroom_fails_tests_not_run_and_prints_the_findings_first() -> None:
    def decoded(sub: SubmissionResult) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(base64.b64decode(classroom.encode(sub)))
        assert sum(t["score"] for t in doc["tests"]) == pytest.approx(sub.score)  # the total stays right
        return doc

    dora, eve, fay = (decoded(s) for s in findings_class().submissions)
    assert dora["status"] == "fail"
    assert [(t["name"], t["status"]) for t in dora["tests"]] == [
        ("server echoes one line", "fail"), ("second client is served", "fail"), ("partial credit", "fail"),
        ("1 hidden tests", "fail")]
    assert dora["tests"][0]["message"] == f"Read this first:\n- {COMPILE}\n\n{NOT_COMPILED}"
    assert dora["tests"][1]["message"] == NOT_COMPILED  # once only
    first = eve["tests"][1]  # the reporter prints the message of a test that did not pass, not of one that did
    assert (first["name"], eve["tests"][0]["message"]) == ("second client is served", "")
    assert first["message"].startswith(f"Read this first:\n- {MISSING}\n- {MOVED_SHOWN}\n\nFailed at step 4 of 4")
    assert eve["tests"][2]["message"] == REQUIRES
    assert fay["status"] == "pass"  # a note does not fail anyone: it comes first, as a passing entry of 0 points
    assert [(t["name"], t["status"], t["score"]) for t in fay["tests"][:2]] == [
        (f"Note: {NOTE}", "pass", 0.0), ("server echoes one line", "pass", 2.0)]


def test_github_shows_not_run_apart_and_the_findings_under_the_submission() -> None:
    lines = github.annotations(findings_class())
    for line in lines:
        assert command_lines(line) == [line] and "\x1b" not in line
    kinds = [line.split(" ", 1)[0] for line in lines]
    assert kinds == ["::warning", "::notice", "::warning", "::warning", "::error", "::notice", "::warning"]
    assert lines[0] == f"::warning title=echo-dora%3A read this first::{COMPILE}"
    assert lines[1] == ("::notice title=echo-dora%3A 3 test(s) not run::" + github.escape_data(
        f"Not run: {COMPILE}.\nTests not run:\n- server echoes one line\n- second client is served\n- partial credit"))
    assert lines[4].startswith("::error title=echo-eve%3A second client is served (0/3 points)::")
    assert "children are reaped" not in "".join(lines)  # hidden: not named, even not run
    summary = github.step_summary(findings_class())
    assert "<script>" not in summary and "\x1b" not in summary
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in summary and MOVED_SHOWN in summary
    dora = summary[summary.index("### echo-dora"):summary.index("### echo-eve")]
    assert dora.index("**Read this first:**") < dora.index("| | scenario |")
    assert f"<ul>\n<li>{COMPILE}</li>\n</ul>" in dora
    assert dora.count("| ➖ not run |") == 3 and "❌" not in dora and "<details>" not in dora
    assert (f"<li>{COMPILE}. (3 tests):<ul><li>server echoes one line</li><li>second client is served</li>"
            "<li>partial credit</li></ul></li>" in dora)
    eve = summary[summary.index("### echo-eve"):summary.index("### echo-fay")]
    assert eve.count("| ➖ not run |") == 1 and eve.count("| ❌ |") == 1 and eve.count("<details>") == 1
    assert "<li>requires &#x27;second client is served&#x27;" not in eve  # quotes stay quotes (quote=False)
    assert ("<li>requires 'second client is served', which did not pass (1 test):<ul><li>partial credit</li>"
            "</ul></li>") in eve
    assert "children are reaped" not in summary  # hidden: not named, even not run


def test_a_report_that_fails_loses_no_other(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each format is written aside and moved into place: one that raises leaves the others, and the
    previous file of its own name, whole; ReportError names it."""
    from grader import report

    (tmp_path / "report.html").write_text("the previous page")

    def broken(result: ClassResult, out: Path) -> list[Path]:
        (out / "report.html").write_text("half a pa")
        raise RuntimeError("a bug in the page")

    monkeypatch.setitem(report.REPORTERS, "report.html", broken)
    with pytest.raises(report.ReportError, match=r"report\.html: RuntimeError: a bug in the page"):
        report.write_all(klass(), tmp_path)
    assert (tmp_path / "report.html").read_text() == "the previous page"
    assert json.loads((tmp_path / "results.json").read_text())["assignment"] == klass().assignment
    assert (tmp_path / "grades.csv").is_file() and (tmp_path / "junit.xml").is_file()
    assert not list(tmp_path.glob(".labgrade-reports-*"))


def test_an_undecodable_byte_in_a_result_never_stops_the_reports(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9")  # a lone surrogate, as os.listdir gives a name that is not UTF-8
    sub = SubmissionResult(name, (Result("t", ("protocol",), 0.0, 1.0, "failed", f"printed {name}"),),
                           findings=(f"{name}/server.py was found",))
    written = write_all(ClassResult("lab", (sub,)), tmp_path)
    assert {p.name for p in written} >= {"results.json", "grades.csv", "junit.xml", "report.html"}
    assert json.loads((tmp_path / "results.json").read_text())["submissions"][0]["name"] == name
