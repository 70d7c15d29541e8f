"""`grade -o DIR` again with fewer submissions: what the earlier run wrote for the others goes, a user's files stay."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from grader.cli import main
from grader.newlab import make_lab


def test_a_second_run_removes_the_folders_of_submissions_it_does_not_grade(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lab = make_lab("tiny", tmp_path)  # one scenario: each submission grades in a moment
    for name in ("alice", "bob", "carol"):
        shutil.copytree(lab / "reference", tmp_path / "class" / name)
    out = tmp_path / "out"
    assert main([str(tmp_path / "class"), "-a", str(lab), "--backend", "local", "-o", str(out)]) == 0
    assert all((out / n / "results.json").is_file() and (out / "logs" / f"{n}.log").is_file()
               for n in ("alice", "bob", "carol"))
    (out / "carol" / "notes.txt").write_text("mine")  # an instructor's file in a submission's folder
    (out / "mine").mkdir()  # a folder no run of labgrade wrote
    (out / "mine" / "results.json").write_text("{}")
    capsys.readouterr()

    shutil.rmtree(tmp_path / "class" / "bob")
    shutil.rmtree(tmp_path / "class" / "carol")
    assert main([str(tmp_path / "class"), "-a", str(lab), "--backend", "local", "-o", str(out)]) == 0
    said = capsys.readouterr().out.replace("\n", "")
    assert f"Removed what an earlier run wrote in {out}/ for 2 submission(s) that this run does not grade " \
           f"(their results.json folders and logs): bob, carol" in said
    assert f"warning: {out / 'carol'}/ is the folder of a submission of an earlier run" in said
    assert not (out / "bob").exists() and not (out / "logs" / "bob.log").exists()
    assert sorted(p.name for p in (out / "carol").iterdir()) == ["notes.txt", "results.json"]
    assert (out / "mine" / "results.json").read_text() == "{}"
    assert (out / "alice" / "results.json").is_file() and (out / "logs" / "alice.log").is_file()
    assert [s["name"] for s in json.loads((out / "results.json").read_text())["submissions"]] == ["alice"]
    # a third run, the same class: nothing more to remove, nothing said
    assert main([str(tmp_path / "class"), "-a", str(lab), "--backend", "local", "-o", str(out)]) == 0
    assert "Removed" not in capsys.readouterr().out and (out / "carol" / "notes.txt").is_file()
