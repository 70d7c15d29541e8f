"""The worked example of docs/instructor.md, docs/examples/daytime/, does what the page says: each
mutant fails the one test written for it, the check written in Python gives its assertion's message
as feedback, and the student edition runs with `grade check`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.cli import main

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "docs" / "examples" / "daytime"

pytestmark = pytest.mark.slow

FAILS = {  # each variant: the one test it fails (a test not run is not a failure)
    "reference": set(),
    "t-separator": {"the line is a date and time, YYYY-MM-DD HH:MM:SS"},
    "keeps-connection-open": {"the server closes the connection after the line"},
    "one-client": {"the server serves one client after another"},
    "paris-time": {"the time sent is the current UTC time"},
}


def test_selfcheck_scores_every_variant_as_declared(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["selfcheck", str(LAB), "--backend", "local", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "5 of 5 variants scored as declared" in out and "warning" not in out
    subs = {s["name"]: s for s in json.loads((tmp_path / "results.json").read_text())["submissions"]}
    assert {name: {t["name"] for t in s["tests"] if t["status"] == "failed"} for name, s in subs.items()} == FAILS
    assert not any(t["error"] for s in subs.values() for t in s["tests"])
    (clock,) = (t for t in subs["paris-time"]["tests"] if t["name"] == "the time sent is the current UTC time")
    assert clock["output"].startswith("The server sent ") and clock["output"].endswith(
        "Send datetime.now(UTC), read when the client connects: not the local time, nor a time read once at "
        "start-up.")  # the assertion's message, and nothing under it
    (skipped,) = (t for t in subs["t-separator"]["tests"] if t["name"] == "the time sent is the current UTC time")
    assert skipped["status"] == "not_run"


def test_the_student_edition_runs_with_grade_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edition = tmp_path / "daytime-student"
    assert main(["publish", str(LAB), "-o", str(edition)]) == 0
    assert not (edition / "mutants").exists()
    assert (edition / "reference" / "client.py").read_bytes() == (LAB / "reference" / "client.py").read_bytes()
    assert (edition / "reference" / "server.py").read_bytes() != (LAB / "reference" / "server.py").read_bytes()
    work = tmp_path / "work"
    shutil.copytree(LAB / "reference", work)
    capsys.readouterr()
    assert main(["check", str(work), "-a", str(edition), "--backend", "local"]) == 0
    assert "Visible tests: 7 / 7 points; 4 of 4 passed." in capsys.readouterr().out
