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
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader.assignment.model import Scenario
from grader.feedback import render
from grader.report import REPORTERS, github, write_all
from grader.report.gradebook import number, rows, write_grades_csv
from grader.report.html import histogram, split_feedback, timeline, write_html
from grader.report.junit import NOT_XML, write_junit, xml_text
from grader.results import ClassResult, SubmissionResult
from grader.results import TestResult as Result  # aliased: pytest would try to collect Test*

XSS = "</script><script>alert(1)</script>"
XSS_NAME = "mallory<img src=x onerror=alert(2)>"
CONTROL = "\x00\x1b[31m\u2028"  # NUL, an ANSI colour, a Unicode line separator
WORKFLOW = "::add-mask::x\n::error::y"
HOSTILE = f"{XSS} {CONTROL} {WORKFLOW}"

ECHO = Scenario(name="server echoes one line", tags=("protocol",), points=2.0,
                steps=({"start": "server"}, {"connect": "alice"}, {"send": {"as": "alice", "data": "hi\n"}},
                       {"expect": {"as": "alice", "data": "hi\n"}}),
                feedback="Loop on recv() until it returns b'' and send each chunk with sendall().")


def failed_output(scenario: Scenario) -> str:
    """Feedback as grader.feedback lays it out, with student bytes everywhere a student can put them."""
    events = [[0.0191, "server", "started", "/usr/bin/python3 server.py 41756"],
              [0.0862, "server", "listening", "port 41756, backlog 5"],
              [0.0871, "alice", "connected", ""],
              [0.0872, "alice", "sent", repr("hi\n")],
              [0.0901, "server", "stderr", repr(HOSTILE)],
              [3.1204, "alice", "received", repr("hé " + XSS)],
              [3.1210, "grader", "step failed", "expected 'hi\\n', got something else"]]
    return render(scenario, {
        "status": "failed", "failed_step": 3, "step": "expect alice 'hi\\n'",
        "message": "alice received the wrong bytes", "expected": "'hi\\n'", "observed": HOSTILE,
        "transcript": {"events": events, "dropped": 2},
        "programs": {"server": {"student": True, "exit": "exited with code 1",
                                "stderr": f"Traceback (most recent call last):\n{XSS}\n{CONTROL}\u2028\x85\n"
                                          f"{WORKFLOW}\n"}},
    })


def outcome(name: str, tags: tuple[str, ...], points: float, status: str = "passed", output: str = "Passed.",
         visibility: str = "visible", error: bool = False) -> Result:
    return Result(name, tags, points if status == "passed" else 0.0, points, status, output, visibility,
                      error, duration=0.25)


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
                      "tag:protocol", "tag:concurrency", "tag:cleanup"]
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


def test_csv_union_of_scenarios_keeps_first_order_and_leaves_gaps_empty(tmp_path: Path) -> None:
    result = ClassResult("lab", (SubmissionResult("a", (outcome("one", ("x",), 1), outcome("two", ("y",), 1))),
                                 SubmissionResult("b", (outcome("three", ("z",), 2), outcome("one", ("x",), 1)))))
    write_grades_csv(result, tmp_path)
    header, (a, b) = read_csv(tmp_path / "grades.csv")
    assert header[4:] == ["one", "two", "three", "tag:x", "tag:y", "tag:z"]
    assert (a["three"], b["two"], b["three"], b["score"]) == ("", "", "2", "3")


def test_csv_guards_formulas_and_never_repeats_a_column() -> None:
    sub = SubmissionResult('=HYPERLINK("x")', (outcome("score", (), 1), outcome("tag:x", (), 1)))
    result = ClassResult("lab", (sub,))
    header, (row,) = rows(result)
    assert len(set(header)) == len(header)
    assert header[4:] == ["scenario:score", "scenario:tag:x"]
    assert row["submission"] == """'=HYPERLINK("x")"""


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
    assert "observed: " + HOSTILE.split("\n")[0] in fb.summary
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


def test_timeline_has_a_lane_per_actor_and_marks_pauses_and_cuts() -> None:
    many = [[0.01 * i, f"c{i % 3}", "sent", "'x'"] for i in range(80)] + [[4.0, "server", "zombies = 3", ""]]
    fb = split_feedback(render(ECHO, {"status": "failed", "transcript": {"events": many}}))
    assert any(e.skipped == 21 for e in fb.events)  # feedback keeps 30 + 30 of 81 lines
    tl = timeline(fb.events)
    assert tl is not None
    assert [lane.actor for lane in tl.lanes] == ["c0", "c1", "c2", "server"]
    assert len(tl.marks) == 60 and len(tl.cuts) == 1
    assert [label for _, label in tl.pauses] == ["+3.21 s"]
    xs = [m.x for m in tl.marks]
    assert xs == sorted(xs) and len(set(xs)) == len(xs) and max(xs) < tl.width
    assert tl.ticks[-1][1] == "4.000s"
    assert timeline(fb.events[:2]) is None  # too short to draw: the table says it all


def test_histogram_puts_full_marks_in_the_last_bin() -> None:
    h = histogram([0.0, 5.0, 10.0, 99.9, 100.0, 100.0])
    assert [c.count for c in h.columns] == [2, 1, 0, 0, 0, 0, 0, 0, 0, 3]
    assert h.columns[-1].height > h.columns[0].height > h.columns[1].height > 0 == h.columns[2].height


# -- GitHub Actions ----------------------------------------------------------------------------

def command_lines(text: str) -> list[str]:
    """The lines the Actions runner would read, split as it splits them."""
    return re.split(r"\r\n|\r|\n", text)


def test_workflow_command_escaping_is_githubs() -> None:
    assert github.escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
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
    assert "| 🔒 | 1 hidden test(s) | | 0 / 2 |" in text
    assert "children are reaped" not in text  # a hidden test's name is not shown to students
    for sub in klass().submissions:
        assert f"{number(sub.score)} / {number(sub.max_score)} points" in text


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
