"""`shared:` in assignment.yaml: a lab names another lab's reference file instead of keeping a copy."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.edition import collect_checks, select, write_edition
from grader.errors import AssignmentError
from grader.gradescope import stage_assignment
from grader.mutants import materialize, mutants_of
from grader.reference import copy_reference, reference_folder

REPO = Path(__file__).resolve().parents[2]
SHARED = {"select-client": ("server.py", "select-server"), "select-server": ("client.py", "select-client"),
          "echo-concurrent": ("client.py", "echo-iterative")}


@pytest.mark.parametrize("lab", sorted(SHARED))
def test_a_bundled_lab_runs_the_file_another_lab_keeps(lab: str) -> None:
    name, other = SHARED[lab]
    a = load_assignment(REPO / "assignments" / lab)
    theirs = REPO / "reference" / other / name
    assert not (a.reference / name).exists() and a.shared == {name: theirs} and a.reference_file(name) == theirs
    folder = reference_folder(a)  # what the sandbox runs the peers from
    assert {p.name for p in folder.iterdir()} == {p.name for p in a.reference.iterdir()} | {name}
    assert (folder / name).read_bytes() == theirs.read_bytes()
    assert reference_folder(a) == folder  # made once


def two_labs(tmp_path: Path, shared: str, own: tuple[str, ...] = ()) -> Path:
    """Two labs side by side: `mine` (its `shared:` block as given) and `theirs`, which keeps server.py."""
    for lab in ("mine", "theirs"):
        shutil.copytree(REPO / "assignments" / "select-client" / "scenarios", tmp_path / lab / "scenarios")
        (tmp_path / f"{lab}-reference").mkdir()
    (tmp_path / "theirs-reference" / "server.py").write_text("# theirs\n")
    (tmp_path / "mine-reference" / "client.py").write_text("# mine\n")
    for file in own:
        (tmp_path / "mine-reference" / file).write_text("# a copy\n")
    programs = ("programs:\n  client: {argv: [client.py, '{host}', '{port}'], kind: client}\n"
                "  server: {argv: [server.py, '{port}'], kind: server}\n")
    (tmp_path / "theirs" / "assignment.yaml").write_text(f"name: theirs\nreference: ../theirs-reference\n{programs}")
    (tmp_path / "mine" / "assignment.yaml").write_text(
        f"name: mine\nreference: ../mine-reference\nhandin: [client.py]\n{shared}{programs}")
    return tmp_path / "mine"


def test_a_lab_beside_shares_its_file(tmp_path: Path) -> None:
    a = load_assignment(two_labs(tmp_path, "shared:\n  server.py: theirs\n"))
    assert a.reference_file("server.py") == tmp_path / "theirs-reference" / "server.py"
    assert (copy_reference(a, tmp_path / "copy") / "server.py").read_text() == "# theirs\n"


@pytest.mark.parametrize(("shared", "own", "line", "said"), [
    ("shared:\n  server.py: nobody\n", (), 5, "shared: server.py: no lab 'nobody' with a `reference:`"),
    ("shared:\n  other.py: theirs\n", (), 5, "shared: other.py: the reference of lab 'theirs' has no other.py"),
    ("shared:\n  server.py: theirs\n", ("server.py",), 5,
     "shared: server.py: this lab's reference has its own server.py"),
    ("", (), 6, "program 'server': the reference has no server.py"),  # neither its own nor shared
    ("shared: {server.py: Theirs}\n", (), 4, "a lab name"),  # the schema
])
def test_a_wrong_shared_file_is_named_at_its_line(tmp_path: Path, shared: str, own: tuple[str, ...], line: int,
                                                  said: str) -> None:
    folder = two_labs(tmp_path, shared, own)
    with pytest.raises(AssignmentError) as e:
        load_assignment(folder)
    assert str(e.value).startswith(f"{folder / 'assignment.yaml'}:{line}: "), str(e.value)
    assert said in str(e.value), str(e.value)


def test_a_file_shared_in_turn_is_refused(tmp_path: Path) -> None:
    folder = two_labs(tmp_path, "shared:\n  server.py: theirs\n")
    meta = tmp_path / "theirs" / "assignment.yaml"
    meta.write_text(meta.read_text() + "shared:\n  server.py: mine\n")
    with pytest.raises(AssignmentError, match=r"mine/assignment.yaml:5: shared: server.py: lab 'theirs' shares it too"):
        load_assignment(folder)


def test_what_reads_the_reference_follows_shared(tmp_path: Path) -> None:
    """A mutant and the Gradescope package hold the file select-client shares with select-server;
    the student edition, a shared program that runs as a peer (the course's server)."""
    a = load_assignment(REPO / "assignments" / "select-client")
    server = (REPO / "reference" / "select-server" / "server.py").read_bytes()
    assert (materialize(a, mutants_of(a)[0], tmp_path / "mutant") / "server.py").read_bytes() == server
    packaged = load_assignment(stage_assignment(a, tmp_path / "package"))
    assert packaged.shared == {} and packaged.reference_file("server.py").read_bytes() == server
    mine = load_assignment(two_labs(tmp_path / "labs", "shared:\n  server.py: theirs\n"))
    (tmp_path / "edition").mkdir()
    write_edition(mine, select(mine, collect_checks(mine)), tmp_path / "edition")
    assert (tmp_path / "edition" / "reference" / "server.py").read_text() == "# theirs\n"
