"""Writing a lab: `grade new` makes one that `grade selfcheck` passes as made, `grade scenarios` lists a lab."""

from __future__ import annotations

import json
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
