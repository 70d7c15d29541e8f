"""Writing a lab: `grade new` makes one that `grade selfcheck` passes as made, `grade scenarios` lists a lab."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.cli import main
from grader.newlab import template

REPO = Path(__file__).resolve().parents[2]


def files_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def test_a_new_lab_passes_selfcheck_as_made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "my-lab", "--dir", str(tmp_path / "labs")]) == 0
    said = capsys.readouterr().out
    lab = tmp_path / "labs" / "my-lab"
    made, templates = files_of(lab), files_of(template())
    assert set(made) == set(templates) == {"assignment.yaml", "scenarios/server.yaml", "reference/server.py",
                                           "mutants/server-upper-case/mutant.yaml",
                                           "mutants/server-upper-case/server.py.patch"}
    assert {name for name in made if made[name] != templates[name]} == {"assignment.yaml"}  # its name filled in
    assert "name: my-lab\n" in made["assignment.yaml"].decode()
    assert all(name in said for name in made) and f"grade selfcheck {lab}" in said
    assert load_assignment(lab).reference == lab / "reference"

    out = tmp_path / "report"
    assert main(["selfcheck", str(lab), "--backend", "local", "-o", str(out)]) == 0
    assert "2 of 2 variants scored as declared" in capsys.readouterr().out
    graded = {s["name"]: s["score"] for s in json.loads((out / "results.json").read_text())["submissions"]}
    assert graded == {"reference": 1, "server-upper-case": 0}


def test_new_refuses_a_folder_that_exists_and_a_bad_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "my-lab").mkdir()
    (tmp_path / "my-lab" / "notes.txt").write_text("mine")
    assert main(["new", "my-lab", "--dir", str(tmp_path)]) == 2
    assert f"{tmp_path / 'my-lab'} exists already" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "my-lab").iterdir()] == ["notes.txt"]
    for bad in ("My_Lab", "lab 1", "été"):
        assert main(["new", bad, "--dir", str(tmp_path)]) == 2
        assert f"{bad!r} cannot be a lab's name: expected a lab name (lower-case letters, digits and -)" \
            in capsys.readouterr().err
        assert not (tmp_path / bad).exists()
    (tmp_path / "a-file").write_text("")
    assert main(["new", "my-lab", "--dir", str(tmp_path / "a-file")]) == 2
    assert f"cannot make {tmp_path / 'a-file' / 'my-lab'}: " in capsys.readouterr().err


def test_scenarios_lists_a_labs_scenarios_with_the_total(capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")  # one row per scenario
    assert main(["scenarios", "echo-iterative"]) == 0
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in capsys.readouterr().out.splitlines()
            if line.startswith("│")]
    lab = load_assignment(REPO / "assignments" / "echo-iterative")
    assert rows == [*([s.name, ", ".join(s.tags), f"{s.points:g}", s.visibility,
                       f"{s.path.relative_to(lab.root)}:{s.line}"] for s in lab.scenarios),
                    ["total", "", f"{lab.max_score:g}", "", ""]]


def test_selfcheck_reports_apart_and_v_keeps_the_transcripts_of_passed_tests(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["new", "my-lab"]) == 0
    outputs = {}
    for option in ([], ["-v"]):
        assert main(["selfcheck", "my-lab", "--backend", "local", *option]) == 0
        assert "reports in selfcheck-report/my-lab/" in capsys.readouterr().out
        results = json.loads((tmp_path / "selfcheck-report" / "my-lab" / "results.json").read_text())
        (reference,) = (s for s in results["submissions"] if s["name"] == "reference")
        outputs[bool(option)] = reference["tests"][0]["output"]
    assert not (tmp_path / "grading-report").exists()
    assert outputs[False].startswith("Passed in") and "Transcript" not in outputs[False]
    assert outputs[True].startswith("Passed in")
    assert "Transcript (seconds since the test started):" in outputs[True]
    assert "alice    received  'hello, server\\n'" in outputs[True]


def test_selfcheck_warns_about_a_lab_without_mutants_and_drops_the_reports_of_those_gone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", "my-lab", "--dir", str(tmp_path)]) == 0
    out = tmp_path / "report"
    assert main(["selfcheck", str(tmp_path / "my-lab"), "--backend", "local", "-o", str(out)]) == 0
    assert (out / "server-upper-case" / "results.json").is_file() and (out / "logs" / "server-upper-case.log").is_file()
    capsys.readouterr()
    shutil.rmtree(tmp_path / "my-lab" / "mutants")
    assert main(["selfcheck", str(tmp_path / "my-lab"), "--backend", "local", "-o", str(out)]) == 0
    said = capsys.readouterr().out.replace("\n", "")
    assert "warning: my-lab has no mutant: nothing shows that its scenarios bite" in said
    assert f"Removed what an earlier run wrote in {out}/ for 1 submission(s)" in said and "server-upper-case" in said
    assert not (out / "server-upper-case").exists() and not (out / "logs" / "server-upper-case.log").exists()
    assert [s["name"] for s in json.loads((out / "results.json").read_text())["submissions"]] == ["reference"]


def test_selfcheck_never_writes_over_a_class_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "grading-report"
    (out / "alice").mkdir(parents=True)
    (out / "alice" / "results.json").write_text("{}")
    klass = {"assignment": "echo-iterative", "submissions": [{"name": "alice", "tests": []}]}
    (out / "results.json").write_text(json.dumps(klass))
    assert main(["selfcheck", "echo-iterative", "-o", str(out), "--lang", "en"]) == 2  # its English words
    assert f"{out}/ holds the reports of a class (echo-iterative, 1 submission(s)), not of a selfcheck of " \
           f"echo-iterative: give selfcheck another folder with -o" in capsys.readouterr().err.replace("\n", "")
    assert json.loads((out / "results.json").read_text()) == klass and (out / "alice" / "results.json").is_file()
