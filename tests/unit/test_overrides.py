"""Grade overrides (grader/overrides.py): the file on disk, its checks, apply_overrides, and every
report of a hand-built class that carries overrides (the real class runs: tests/integration/test_class_overrides.py)."""

from __future__ import annotations

import base64
import csv
import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.overrides import Overrides, Worth, apply_overrides, check, load_overrides, result_targets
from grader.report import classroom, github, gradescope, write_all
from grader.results import ClassResult, Override, SubmissionResult
from grader.results import TestResult as Result  # aliased: pytest would try to collect Test*

ECHO, RESET, HIDDEN = "server echoes one line", "server survives a reset", "a hidden test"
WHY_TEST = "The reset test was fixed after your hand-in: full marks."
WHY_GRADE = "Handed in by email on time <b>(the LMS was down)</b>."


def klass() -> ClassResult:
    def sub(name: str, echo: float, reset: float) -> SubmissionResult:
        return SubmissionResult(name, (
            Result(ECHO, ("protocol",), echo, 2.0, "passed" if echo else "failed", "Passed." if echo else "Failed at "
                   "step 4 of 4: expect alice 'hi\\n'"),
            Result(RESET, ("robustness",), reset, 3.0, "passed" if reset else "failed", "Passed." if reset else
                   "Failed at step 3 of 5: the server died"),
            Result(HIDDEN, ("protocol",), 1.0, 1.0, "passed", "Passed.", visibility="hidden")))
    return ClassResult("echo-iterative", (sub("ada", 2, 0), sub("bob", 0, 3), sub("cy", 2, 3)))


def write(tmp_path: Path, text: str, name: str = "overrides.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


GOOD = f"""\
# the instructor's last word
- submission: ada
  scenario: {RESET}
  points: 3
  reason: "{WHY_TEST}"
- submission: bob
  points: 5.5
  reason: "{WHY_GRADE}"
"""


def test_a_file_loads_with_the_line_of_each_entry(tmp_path: Path) -> None:
    overrides = load_overrides(write(tmp_path, GOOD))
    assert [(e.submission, e.scenario, e.points, e.reason, e.line) for e in overrides.entries] == [
        ("ada", RESET, 3.0, WHY_TEST, 2), ("bob", None, 5.5, WHY_GRADE, 6)]
    assert load_overrides(write(tmp_path, "[]\n")).entries == ()


@pytest.mark.parametrize(("text", "line", "message"), [
    ("- submission: ada\n  points: 1\n", 1, "missing required key 'reason'"),
    ("- submission: ada\n  points: 1\n  reason: ok\n  scenaro: x\n", 4,
     "unknown key 'scenaro': did you mean 'scenario'? (expected one of: submission, scenario, points, reason)"),
    ("- submission: ada\n  points: 1\n  reason: '  '\n", 3, "expected some words, not only spaces"),
    ("- submission: ada\n  points: -1\n  reason: ok\n", 2, "-1 points is below 0: give 0 (no points for it) or more"),
    ("- submission: ada\n  points: all\n  reason: ok\n", 2, "expected a number, found text 'all'"),
    ("- submission: ada\n  points: 1\n  points: 2\n  reason: ok\n", 3, "duplicate key 'points' (first at line 2)"),
    ("submission: ada\n", 1, "an overrides file is a list of overrides, each starting with `- submission:`"),
    ("", 1, "the file is empty: expected a list"),
    ("- submission: ada\n  points: 1\n  reason: ok\n- submission: ada\n  points: 2\n  reason: again\n", 4,
     'the whole grade of "ada" is set twice (first at line 1): keep one entry'),
    (f"- {{submission: ada, scenario: {ECHO}, points: 1, reason: ok}}\n"
     f"- {{submission: ada, scenario: {ECHO}, points: 2, reason: ok}}\n", 2,
     f'"{ECHO}" of "ada" is set twice (first at line 1): keep one entry'),
    (f"- {{submission: ada, scenario: {ECHO}, points: 1, reason: ok}}\n"
     "- {submission: ada, points: 4, reason: ok}\n", 1,
     f'"ada" has its whole grade set at line 2, so the points of its test "{ECHO}" would count for nothing'),
])
def test_a_bad_file_is_refused_with_its_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as refused:
        load_overrides(path)
    assert str(refused.value).startswith(f"{path}:{line}: ")
    assert message in str(refused.value)


def test_entries_are_checked_against_the_class_with_did_you_mean(tmp_path: Path) -> None:
    path = write(tmp_path, f"""\
        - {{submission: adda, points: 1, reason: typo}}
        - {{submission: bob, scenario: server echos one line, points: 1, reason: typo}}
        - {{submission: cy, scenario: {ECHO}, points: 2.5, reason: too many}}
        - {{submission: ada, points: 7, reason: too many}}
        - {{submission: zed, points: 1, reason: nobody near}}
        """)
    targets = result_targets(klass())
    with pytest.raises(UsageError) as refused:
        check(load_overrides(path), targets)
    assert str(refused.value).splitlines() == [
        f'{path}:1: no submission "adda" in this class (did you mean "ada"?): write its folder\'s name, as the '
        f"reports show it",
        f'{path}:2: no scenario "server echos one line" in this lab (did you mean "{ECHO}"?): write a test\'s name '
        f"as the reports show it, or leave `scenario:` out to set the whole grade",
        f'{path}:3: 2.5 points is more than "{ECHO}" is worth (2): give 0 to 2',
        f"{path}:4: 7 points is more than the whole grade is worth (6): give 0 to 6",
        f'{path}:5: no submission "zed" in this class: write its folder\'s name, as the reports show it',
    ]
    shard = {"bob": targets["bob"], "cy": targets["cy"]}  # a shard's run: ada, adda and zed are let be
    with pytest.raises(UsageError) as refused:
        check(load_overrides(path), shard, whole_class=False)
    assert [line.split(": ")[0] for line in str(refused.value).splitlines()] == [f"{path}:{n}" for n in (2, 3)]


def test_tests_learnt_only_at_grading_are_checked_once_graded(tmp_path: Path) -> None:
    """A lab with checks written in Python: their names and points, and so the whole grade's
    maximum, are known once graded; a scenario of the lab is checked at once."""
    overrides = load_overrides(write(tmp_path, f"""\
        - {{submission: ada, scenario: a Python check, points: 1, reason: ok}}
        - {{submission: cy, points: 99, reason: the checks are worth more than the scenarios}}
        - {{submission: bob, scenario: {ECHO}, points: 3, reason: more than it is worth}}
        """))
    before = Worth({ECHO: 2.0}, 6.0, complete=False)
    with pytest.raises(UsageError) as refused:
        check(overrides, dict.fromkeys(("ada", "bob", "cy"), before))
    assert [line.split(": ")[0] for line in str(refused.value).splitlines()] == [f"{overrides.path}:3"]
    graded = Worth({ECHO: 2.0, "a Python check": 1.0}, 7.0)
    with pytest.raises(UsageError) as refused:
        check(overrides, dict.fromkeys(("ada", "bob", "cy"), graded))
    assert [line.split(": ")[0] for line in str(refused.value).splitlines()] == [
        f"{overrides.path}:{n}" for n in (2, 3)]
    assert "99 points is more than the whole grade is worth (7)" in str(refused.value)


def test_apply_sets_the_points_keeps_what_the_grader_gave_and_replaces_older_overrides(tmp_path: Path) -> None:
    graded = klass()
    overrides = load_overrides(write(tmp_path, GOOD))
    result = apply_overrides(graded, overrides)
    ada, bob, cy = result.submissions
    reset = ada.tests[1]
    assert (reset.score, reset.status, reset.override) == (3.0, "failed", Override(3.0, 0.0, WHY_TEST))
    assert (ada.score, ada.tests_score, ada.override) == (6.0, 6.0, None)
    assert (bob.score, bob.tests_score, bob.override) == (5.5, 4.0, Override(5.5, 4.0, WHY_GRADE))
    assert bob.tests == graded.submissions[1].tests and cy == graded.submissions[2]
    assert ClassResult.from_json(json.loads(json.dumps(result.to_json()))) == result  # `grade merge` keeps them
    assert apply_overrides(result, overrides) == result  # a regrade of overridden results: the same
    assert apply_overrides(result, Overrides(tmp_path)) == graded  # the file is the whole truth
    assert "override" not in json.dumps(graded.to_json())  # no overrides, no key: results.json as before
    with pytest.raises(UsageError, match="no scenario"):  # never silently skipped
        apply_overrides(ClassResult("echo-iterative", (SubmissionResult("ada"),)), overrides)
    shard = ClassResult("echo-iterative", (graded.submissions[2],))
    assert apply_overrides(shard, overrides) == shard  # ada and bob are another shard's


def test_a_test_given_all_its_points_back_is_no_failed_tag_a_partial_one_still_is(tmp_path: Path) -> None:
    """Failed tags say where the student loses points: the reset test overridden to its 3 points
    is failed for the grader (its status and feedback stay) but costs nothing; at 1 point, it does."""
    assert klass().submissions[0].failed_tags == ["robustness"]
    full = apply_overrides(klass(), load_overrides(write(tmp_path, GOOD))).submissions[0]
    assert (full.tests[1].status, full.failed_tags) == ("failed", [])
    partial = apply_overrides(klass(), load_overrides(write(tmp_path, GOOD.replace("points: 3", "points: 1"))))
    assert partial.submissions[0].failed_tags == ["robustness"]


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    write_all(apply_overrides(klass(), load_overrides(write(tmp_path, GOOD))), out)
    return out


def test_every_report_shows_each_override_with_its_reason(reports: Path) -> None:
    saved = json.loads((reports / "results.json").read_text())
    ada, bob = saved["submissions"][0], saved["submissions"][1]
    assert ada["tests"][1]["override"] == {"points": 3.0, "graded": 0.0, "reason": WHY_TEST}
    assert (bob["score"], bob["override"]) == (5.5, {"points": 5.5, "graded": 4.0, "reason": WHY_GRADE})

    with (reports / "grades.csv").open(newline="", encoding="utf-8") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    assert (rows["ada"]["score"], rows["ada"][RESET], rows["ada"]["overrides"]) == (
        "6", "3", f"{RESET}: 3 instead of 0 ({WHY_TEST})")
    assert (rows["bob"]["score"], rows["bob"]["percent"], rows["bob"][ECHO], rows["bob"]["overrides"]) == (
        "5.5", "91.7", "0", f"whole grade: 5.5 instead of 4 ({WHY_GRADE})")
    assert rows["cy"]["overrides"] == ""

    suites = {s.get("name"): s for s in ET.parse(reports / "junit.xml").getroot()}
    props = {s: {p.get("name"): p.get("value") for p in suites[s].findall("properties/property")} for s in suites}
    assert props["bob"]["score"] == "5.5"
    assert props["bob"]["overrides"] == f"whole grade: 5.5 instead of 4 ({WHY_GRADE})"
    assert "overrides" not in props["cy"]
    case = suites["ada"].find(f"testcase[@name='{RESET}']")
    assert case is not None and case.find("failure") is not None  # the grader's outcome stays
    assert case.find("properties/property[@name='override']").get("value") == f"{RESET}: 3 instead of 0 ({WHY_TEST})"

    page = (reports / "report.html").read_text()
    assert page.count('<sup class="o">✎</sup>') == 3  # the legend, ada's reset cell, bob's score cell
    assert page.count('class="overridden"') == 1 and page.count(' overridden" data-v=') == 1
    assert f"<li>{RESET}: 3 instead of 0 ({WHY_TEST})</li>" in page
    assert "whole grade: 5.5 instead of 4 (Handed in by email on time &lt;b&gt;(the LMS was down)&lt;/b&gt;.)" in page
    assert "the grade set replaces the tests' total of 4" in page


def test_the_student_reads_the_reason(reports: Path) -> None:
    ada = json.loads((reports / "ada" / "results.json").read_text())
    assert ada["score"] == 6 and ada["tests"][1]["score"] == 3
    assert ada["tests"][1]["output"].startswith(
        f"Your instructor set the points of this test to 3 (the grader gave 0). Why: {WHY_TEST}\n\nFailed at step 3")
    bob = json.loads((reports / "bob" / "results.json").read_text())
    assert bob["score"] == 5.5 and sum(t["score"] for t in bob["tests"]) == 4
    assert bob["output"] == f"5.5 / 6 points\nYour instructor set your grade to 5.5 / 6 (the tests add up to 4). " \
                            f"Why: {WHY_GRADE}"


def test_classroom_and_actions_give_the_grade_set_and_why(tmp_path: Path) -> None:
    result = apply_overrides(klass(), load_overrides(write(tmp_path, GOOD)))
    ada, bob, _ = result.submissions
    for sub in (ada, bob):
        decoded = json.loads(base64.b64decode(classroom.encode(sub)))
        assert round(sum(t["score"] for t in decoded["tests"]), 4) == sub.score  # Classroom's total is the grade set
    note = json.loads(base64.b64decode(classroom.encode(bob)))["tests"][0]
    assert (note["name"], note["status"], note["score"]) == (
        f"Note: Your instructor set your grade to 5.5 / 6 (the tests add up to 4). Why: {WHY_GRADE}", "pass", 1.5)
    reset = json.loads(base64.b64decode(classroom.encode(ada)))["tests"][1]
    assert reset["message"].startswith(f"Your instructor set the points of this test to 3 (the grader gave 0). Why: "
                                       f"{WHY_TEST}\n\n")
    summary = github.step_summary(result)
    assert "**Set by your instructor:**" in summary and WHY_TEST in summary
    assert "Handed in by email on time &lt;b&gt;(the LMS was down)&lt;/b&gt;." in summary
    assert gradescope(bob)["score"] == 5.5

