"""report.html for a real class run, opened in a real browser (headless Chromium) as an instructor would.

Chromium is optional on a developer's machine (the test skips without it) but required in CI
(CI=true), where .ci/run installs Debian's `chromium` package.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from grader.cli import main
from grader.report.html import csp_hash, write_html
from grader.results import ClassResult, Override, SubmissionResult
from grader.results import TestResult as Result  # aliased: pytest would try to collect Test*

REPO = Path(__file__).resolve().parents[2]
CLASS = REPO / "examples" / "echo-concurrent"
BROWSER_SECONDS = 120
# Chromium's --enable-logging=stderr prints what the page logs as `...:CONSOLE:<line>] "message"`
CONSOLE_PROBLEM = re.compile(r":CONSOLE[^\]]*\].*(Uncaught|Error|Content Security Policy|Refused)", re.IGNORECASE)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is not installed: CI must install it (apt-get install -y chromium) to check report.html")
    pytest.skip("chromium not installed (apt-get install chromium) - the report's browser checks are skipped")


def run_browser(report: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
           f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--window-size=1400,2400",
           *args, report.as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=BROWSER_SECONDS, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}"
    return done


def console_problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE_PROBLEM.search(line)]


def test_console_problems_are_recognised() -> None:
    log = ('[21695:21695:1126/021831.044823:INFO:CONSOLE:1463] "Uncaught ReferenceError: f is not defined", '
           'source: file:///tmp/report.html (1463)\n'
           '[2190:2193:1126/021831.813237:ERROR:dbus/bus.cc:405] Failed to connect to the bus\n'
           '[1:1:1126/021825.903376:INFO:CONSOLE:1462] "Executing inline script violates the following '
           'Content Security Policy directive"')
    assert len(console_problems(log)) == 2


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("class-report")
    assert main([str(CLASS), "--backend", "local", "-o", str(out), "--lang", "en"]) == 0  # its English words
    return out / "report.html"


@pytest.mark.slow
def test_the_real_class_report_has_every_part(report: Path) -> None:
    source = report.read_text(encoding="utf-8")
    for sub in sorted(p.name for p in CLASS.iterdir() if p.is_dir()):
        assert f'data-name="{sub}"' in source
    assert source.count("<svg") >= 4  # histogram, two rate charts, at least one timeline
    assert 'aria-label="timeline of' in source  # a failed test's transcript became a timeline
    assert 'class="matrix sortable"' in source
    # gus's server.py does not compile: said once, atop his section; his tests are "not run", not failed
    gus = submission_section(source, "echo-concurrent-gus")
    assert gus.index('<div class="findings"') < gus.index("<article")
    assert "server.py does not compile" in gus and '<article class="test not-run"' in gus
    assert re.search(r'<tr data-i="\d+" data-name="echo-concurrent-gus">.*?<td class="not-run"', source, re.DOTALL)
    assert 'class="seg-not-run"' in source
    assert (report.parent / "grades.csv").is_file() and (report.parent / "junit.xml").is_file()


def submission_section(source: str, name: str) -> str:
    """The section of report.html about one submission."""
    return next(part for part in source.split('<section class="card sub"')[1:] if f"<h3>{name}<span" in part)


@pytest.mark.slow
def test_screenshot_shows_a_rendered_page(report: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    run_browser(report, tmp_path / "profile", f"--screenshot={png}")
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size > 20_000, "a blank page compresses to a few KB: the report did not render"
    keep = os.environ.get("LABGRADE_SCREENSHOT")  # e.g. LABGRADE_SCREENSHOT=/tmp/report.png to look at it
    if keep:
        shutil.copy(png, keep)


@pytest.mark.slow
def test_script_runs_without_errors_and_the_dom_has_charts_and_matrix(report: Path, tmp_path: Path) -> None:
    done = run_browser(report, tmp_path / "profile", "--dump-dom")
    dom = done.stdout
    assert dom.count("<svg") >= 4
    assert 'data-sortable="ready"' in dom, "the page's script did not run (blocked by the CSP, or it failed)"
    assert re.search(r'<th data-type="num"[^>]*tabindex="0"', dom), "column headers were not made sortable"
    search = re.search(r'<input[^>]*id="filter"[^>]*>', dom)
    assert search and "hidden" not in search.group(), "the filter box stays hidden when the script did not run"
    assert re.search(r'<td class="(passed|failed)" data-v=', dom)
    assert console_problems(done.stderr) == []


CLICK_SCORE_HEADER = """
var table = document.querySelector("table.sortable");
var score = table.tHead.rows[0].cells[1];
score.click();
var once = Array.prototype.map.call(table.tBodies[0].rows, function (r) { return r.getAttribute("data-name"); });
score.click();
var twice = Array.prototype.map.call(table.tBodies[0].rows, function (r) { return r.getAttribute("data-name"); });
document.body.setAttribute("data-once", once.join(","));
document.body.setAttribute("data-twice", twice.join(","));
document.body.setAttribute("data-sort", score.getAttribute("aria-sort"));
"""


@pytest.mark.slow
def test_clicking_a_header_sorts_the_matrix(report: Path, tmp_path: Path) -> None:
    """A copy of the report with one more script, allowed by its own hash, clicks the
    score header twice: descending first (numbers), then ascending."""
    source = report.read_text(encoding="utf-8")
    clicked = tmp_path / "clicked.html"
    clicked.write_text(source.replace("</body>", f"<script>{CLICK_SCORE_HEADER}</script>\n</body>").replace(
        "script-src '", f"script-src '{csp_hash(CLICK_SCORE_HEADER)}' '"), encoding="utf-8")
    dom = run_browser(clicked, tmp_path / "profile", "--dump-dom").stdout
    once = re.search(r'data-once="([^"]*)"', dom)
    twice = re.search(r'data-twice="([^"]*)"', dom)
    assert once and twice, "the clicking script did not run"
    with (report.parent / "grades.csv").open(newline="", encoding="utf-8") as f:
        scores = {row["submission"]: float(row["score"]) for row in csv.DictReader(f)}
    assert len(set(scores.values())) > 1, "the example class should not score all alike"
    assert [scores[n] for n in once.group(1).split(",")] == sorted(scores.values(), reverse=True)
    assert [scores[n] for n in twice.group(1).split(",")] == sorted(scores.values())
    assert 'data-sort="ascending"' in dom


MEASURE_TIMELINES = """
var found = Array.prototype.map.call(document.querySelectorAll("svg.timeline"), function (svg) {
  function centre(el) { var r = el.getBoundingClientRect(); return r.left + r.width / 2; }
  return {
    marks: Array.prototype.map.call(svg.querySelectorAll("circle.mark"), function (c) {
      return [centre(c), parseFloat(c.querySelector("title").textContent)];
    }),
    ticks: Array.prototype.map.call(svg.querySelectorAll("line.tick"), function (l, i) {
      return [centre(l), parseFloat(svg.querySelectorAll("text.tick")[i].textContent)];
    })
  };
});
document.body.setAttribute("data-timelines", JSON.stringify(found));
"""


@pytest.mark.slow
def test_timelines_place_events_in_proportion_to_their_times(report: Path, tmp_path: Path) -> None:
    """As the browser lays the page out: each timeline's scale is evenly spaced from 0 s, and each
    event sits where its time falls on that scale (within a pixel)."""
    source = report.read_text(encoding="utf-8")
    measured = tmp_path / "measured.html"
    measured.write_text(source.replace("</body>", f"<script>{MEASURE_TIMELINES}</script>\n</body>").replace(
        "script-src '", f"script-src '{csp_hash(MEASURE_TIMELINES)}' '"), encoding="utf-8")
    dom = run_browser(measured, tmp_path / "profile", "--dump-dom").stdout
    found = re.search(r'data-timelines="([^"]*)"', dom)
    assert found, "the measuring script did not run"
    timelines = json.loads(html.unescape(found.group(1)))
    assert timelines and all(len(t["ticks"]) >= 2 for t in timelines)
    spread = 0
    for t in timelines:
        (x0, zero), (x1, first) = t["ticks"][:2]
        assert zero == 0 and first > 0
        per_second = (x1 - x0) / first
        for x, seconds in t["ticks"]:
            assert abs(x - (x0 + seconds * per_second)) < 1, t["ticks"]
        for x, seconds in t["marks"]:
            assert abs(x - (x0 + seconds * per_second)) < 1, (x, seconds, t["ticks"])
        spread = max(spread, len({seconds for _, seconds in t["marks"]}))
    assert spread >= 4, "no timeline has events at several times: nothing was checked"


HOSTILE_FINDING = "client<script>document.title='pwned'</script>\x1b[2J.py is missing: the lab asks for client.py."



TWO_TESTS = [("server echoes one line", ("protocol",), 2.0), ("second client is served", ("concurrency",), 3.0)]


def hostile_text_page(report: Path, profile: Path) -> str:
    """The DOM of a report holding hostile text, once the browser ran its script with no console
    problem and no injected script retitled the page."""
    done = run_browser(report, profile, "--dump-dom")
    dom = done.stdout
    assert 'data-sortable="ready"' in dom, "the page's script did not run"
    assert console_problems(done.stderr) == []
    assert "<title>echo-concurrent: class report</title>" in dom  # the hostile text's script did not run
    return dom

@pytest.fixture(scope="module")
def findings_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hand-built class: one submission whose program could not start (every test not run, one
    finding with markup and a control character), one that passed."""
    why = "Not run: client.py is missing.\nThis is reported once, at the top of your feedback."
    tests = TWO_TESTS
    hal = SubmissionResult("echo-hal", tuple(Result(n, tags, 0.0, p, "not_run", why) for n, tags, p in tests),
                           findings=(HOSTILE_FINDING, "server.py was found in TP1/: graded from there."))
    ida = SubmissionResult("echo-ida", tuple(Result(n, tags, p, p, "passed", "Passed.") for n, tags, p in tests))
    out = tmp_path_factory.mktemp("findings-report")
    write_html(ClassResult("echo-concurrent", (hal, ida)), out)
    return out / "report.html"


@pytest.mark.slow
def test_findings_and_tests_not_run_render_as_text_in_a_browser(findings_report: Path, tmp_path: Path) -> None:
    dom = hostile_text_page(findings_report, tmp_path / "profile")
    assert "<script>document" not in dom
    assert "<li>client&lt;script&gt;document.title='pwned'&lt;/script&gt;\\x1b[2J.py is missing" in dom
    assert dom.count('<td class="not-run"') == 2 and dom.count('<article class="test not-run"') == 2
    assert dom.count('class="seg-not-run"') == 4  # two scenarios, two tags


HOSTILE_REASON = "Fixed after the hand-in <script>document.title='pwned'</script>"


@pytest.fixture(scope="module")
def overrides_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hand-built class with an instructor's overrides (grade --overrides): a test's points set for
    one submission, the whole grade of another, each reason holding markup."""
    tests = TWO_TESTS
    jo = SubmissionResult("echo-jo", (Result(tests[0][0], tests[0][1], 2.0, 2.0, "failed", "Failed at step 2 of 4",
                                             override=Override(2.0, 0.0, HOSTILE_REASON)),
                                      Result(tests[1][0], tests[1][1], 3.0, 3.0, "passed", "Passed.")))
    kim = SubmissionResult("echo-kim", tuple(Result(n, tags, p, p, "passed", "Passed.") for n, tags, p in tests),
                           override=Override(4.0, 5.0, f"Late. {HOSTILE_REASON}"))
    out = tmp_path_factory.mktemp("overrides-report")
    write_html(ClassResult("echo-concurrent", (jo, kim)), out)
    return out / "report.html"


@pytest.mark.slow
def test_overrides_show_with_their_reasons_as_text_in_a_browser(overrides_report: Path, tmp_path: Path) -> None:
    dom = hostile_text_page(overrides_report, tmp_path / "profile")
    shown = "Fixed after the hand-in &lt;script&gt;document.title='pwned'&lt;/script&gt;"
    assert f"<li>server echoes one line: 2 instead of 0 ({shown})</li>" in dom
    assert f"<li>whole grade: 4 instead of 5 (Late. {shown})</li>" in dom
    assert dom.count('<div class="overrides" role="note">') == 2
    assert re.search(r'<td class="failed overridden" data-v="2\.0" title="[^"]*set by the instructor[^"]*">2'
                     r'<sup class="o">✎</sup></td>', dom)
    assert re.search(r'<td data-v="4\.0" class="overridden" title="whole grade: 4 instead of 5[^"]*">4 / 5'
                     r'<sup class="o">✎</sup></td>', dom)
