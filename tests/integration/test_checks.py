"""Checks written in Python: a mistake in an instructor's check is the grader's fault (error,
exit status 3, never the student's 0), and what a check reads of its clients accumulates."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.cli import main
from grader.results import GRADER_FAILED

REPO = Path(__file__).resolve().parents[2]

CHECKS = '''
import pytest


@pytest.mark.labgrade(points=1, tags=["protocol"], name="a check with a typo")
def test_typo(live_submission):
    box = live_submission()
    box.step("start", "server")
    box.step("conect", "alice")  # the instructor's mistake


@pytest.mark.labgrade(points=1, tags=["protocol"], name="a check whose sandbox dies under it")
def test_dies(live_submission):
    box = live_submission()
    box.step("start", "server")
    box.proc.kill()  # passes, but its sandbox cannot be closed properly: the verdict stands on nothing


@pytest.mark.labgrade(points=1, tags=["protocol"], name="a check that reads what arrived")
def test_reads(live_submission):
    box = live_submission()
    started = box.step("start", "server")  # the reply: a value, read by its fields (or as the dict it was)
    assert started.ok and started.saved["server_backlog"] > 0 and started["saved"] == started.saved, started
    box.step("connect", "alice")
    for word in ("one\\n", "two\\n"):
        sent = box.step("send", {"as": "alice", "data": word})
        echoed = box.step("expect", {"as": "alice", "data": word})
        # each reply: what arrived since the previous one (the echo, whichever step saw it come)
        assert sent.received["alice"] + echoed.received["alice"] == word, (sent, echoed)
    assert box.received("alice") == "one\\ntwo\\n", box.received("alice")
'''


@pytest.mark.slow
def test_a_mistake_in_a_check_is_the_graders_fault(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    shutil.copytree(REPO / "assignments" / "echo-iterative", lab)
    meta = lab / "assignment.yaml"
    meta.write_text(meta.read_text().replace("../../reference", str(REPO / "reference")))
    (lab / "checks").mkdir()
    (lab / "checks" / "test_mine.py").write_text(textwrap.dedent(CHECKS))
    klass = tmp_path / "class"
    shutil.copytree(REPO / "reference" / "echo-iterative", klass / "alice")
    assert main([str(klass), "-a", str(lab), "--backend", "local", "-o", str(tmp_path / "out"), "--lang", "en"]) == 3
    (sub,) = json.loads((tmp_path / "out" / "results.json").read_text())["submissions"]
    tests = {t["name"]: t for t in sub["tests"]}
    typo = tests["a check with a typo"]
    assert typo["error"] and typo["status"] == "failed" and "unknown step 'conect'" in typo["output"]
    assert tests["a check that reads what arrived"]["status"] == "passed"
    dies = tests["a check whose sandbox dies under it"]
    assert dies["error"] and dies["score"] == 0 and "The grader failed after this test ran" in dies["output"]
    faulty = ("a check with a typo", "a check whose sandbox dies under it")
    assert all(t["status"] == "passed" for n, t in tests.items() if n not in faulty)
    gradescope = json.loads((tmp_path / "out" / "alice" / "results.json").read_text())
    shown = next(t["output"] for t in gradescope["tests"] if t["name"] == "a check with a typo")
    assert shown == GRADER_FAILED  # not the check's source nor the grader's paths


ASSERTS = '''
import re

import pytest


@pytest.mark.labgrade(points=1, tags=["protocol"], name="a check whose assert fails on None")
def test_none():
    line = "2025-03-14T09:26:53"
    assert re.fullmatch(r"\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d", line), f"The server sent {line!r}:\\nnot a date."
'''


def test_a_failed_assert_says_its_message_and_nothing_else(tmp_path: Path) -> None:
    """The student reads the assertion's message, not pytest's introspection under it (`assert None`...)."""
    lab = tmp_path / "lab"
    shutil.copytree(REPO / "docs" / "examples" / "daytime", lab)
    (lab / "checks" / "test_asserts.py").write_text(ASSERTS)
    results = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "pytest", str(lab / "checks" / "test_asserts.py"),
                           f"--config-file={REPO / 'grader' / 'grading.ini'}", f"--rootdir={lab}",
                           f"--submission={lab / 'reference'}", f"--labgrade-results={results}"],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    (test,) = json.loads(results.read_text())["tests"]
    assert (test["status"], test["error"]) == ("failed", False)
    assert test["output"] == "The server sent '2025-03-14T09:26:53':\nnot a date."


FIXTURES = '''
import logging
import warnings

import pytest


@pytest.mark.labgrade(points=1, tags=["protocol"], name="a check that uses pytest's own fixtures")
def test_fixtures(live_submission, tmp_path, monkeypatch, capsys, caplog, recwarn, subtests, request):
    box = live_submission()
    box.step("start", "server")
    (tmp_path / "note").write_text("kept")
    monkeypatch.setenv("LABGRADE_CHECK", "1")
    print("to the captured output")
    logging.getLogger("check").warning("logged")
    warnings.warn("a warning", UserWarning)
    with subtests.test(msg="a subtest"):
        assert (tmp_path / "note").read_text() == "kept"
    assert capsys.readouterr().out == "to the captured output\\n" and "logged" in caplog.text
    assert len(recwarn) == 1 and request.node.name == "test_fixtures"


@pytest.mark.labgrade(points=1, tags=["protocol"], name="a check whose second subtest fails")
def test_subtests(subtests):
    for i in range(3):
        with subtests.test(i=i):
            assert i != 1, f"round {i} went wrong"
'''


def test_a_check_may_use_the_fixtures_pytest_gives(tmp_path: Path) -> None:
    """grading.ini turns off pytest's plugins a grading run never uses: those a check written in
    Python may use (tmp_path, monkeypatch, capsys, caplog, recwarn, subtests) stay, through `grade`."""
    lab = tmp_path / "lab"
    shutil.copytree(REPO / "docs" / "examples" / "daytime", lab)
    (lab / "checks" / "test_fixtures.py").write_text(FIXTURES)
    klass = tmp_path / "class"
    shutil.copytree(lab / "reference", klass / "ada")
    assert main([str(klass), "-a", str(lab), "--backend", "local", "-o", str(tmp_path / "out"), "--lang", "en"]) == 0
    (sub,) = json.loads((tmp_path / "out" / "results.json").read_text())["submissions"]
    checks = {t["name"]: t for t in sub["tests"][-2:]}  # after the scenarios, once each (not once per subtest)
    assert checks["a check that uses pytest's own fixtures"]["status"] == "passed"
    failed = checks["a check whose second subtest fails"]  # the first failure of its subtests is its verdict
    assert (failed["status"], failed["error"], failed["output"]) == ("failed", False, "round 1 went wrong")
    assert len(sub["tests"]) == 6  # the lab's 3 scenarios and its check, then these 2
