"""Mutants as patches against the reference: every lab's apply, and a stale patch is reported."""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.errors import AssignmentError
from grader.mutants import materialize, mutants_of
from grader.reference import copy_reference

REPO = Path(__file__).resolve().parents[2]
LABS = sorted(p.name for p in (REPO / "assignments").iterdir() if (p / "assignment.yaml").is_file())


@pytest.mark.parametrize("lab", LABS)
def test_every_mutant_builds_and_differs_from_the_reference(lab: str, tmp_path: Path) -> None:
    assignment = load_assignment(REPO / "assignments" / lab)
    mutants = mutants_of(assignment)
    assert len(mutants) >= 4
    for m in mutants:
        built = materialize(assignment, m, tmp_path / m.name)
        compared = filecmp.dircmp(copy_reference(assignment, tmp_path / f"{m.name}-reference"), built)
        assert compared.diff_files or compared.right_only, f"{m.name} is the reference"
        assert not list(built.glob("*.patch")) and not (built / "mutant.yaml").exists()


def test_a_patch_that_no_longer_fits_names_itself(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    shutil.copytree(REPO / "assignments" / "echo-concurrent", lab)
    reference = tmp_path / "reference"
    shutil.copytree(REPO / "reference" / "echo-concurrent", reference)
    text = (lab / "assignment.yaml").read_text()
    (lab / "assignment.yaml").write_text("\n".join(
        "reference: ../reference" if line.startswith("reference:") else line for line in text.splitlines()) + "\n")
    server = reference / "server.py"
    server.write_text(server.read_text().replace("signal.signal(signal.SIGCHLD, reap_children)",
                                                 "signal.signal(signal.SIGCHLD, reap)"))
    assignment = load_assignment(lab)
    no_reap = next(m for m in mutants_of(assignment) if m.name == "no-reap")
    with pytest.raises(AssignmentError) as e:
        materialize(assignment, no_reap, tmp_path / "built")
    assert str(e.value).startswith(str(no_reap.folder / "server.py.patch"))
    assert "no longer fits the reference's server.py" in str(e.value)
