"""`grade publish` and `grade check` as an instructor and a student meet them: real labs, real
editions on disk, real grading runs through the local sandbox."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from grader.assignment import Assignment, find_assignment, list_labs, load_assignment
from grader.cli import main
from grader.edition import NOTE
from grader.mutants import materialize, mutants_of

REPO = Path(__file__).resolve().parents[2]
# a mutant of each lab that fails a scenario the student edition ships
FAILS_A_SHIPPED_SCENARIO = {"echo-concurrent": "threads", "echo-iterative": "crash-on-reset", "queue": "listen-one",
                            "select-client": "extra-newline", "select-server": "echo-to-sender"}
GATE = "a connection is served by a child process"  # echo-concurrent: what the concurrency and cleanup tests require


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every entry under folder (folders too) with its mode, mtime and bytes: what `grade check` must not change."""
    return {str(p.relative_to(folder)): (p.stat().st_mode, p.stat().st_mtime_ns, p.read_bytes() if p.is_file() else b"")
            for p in sorted([folder, *folder.rglob("*")])}


def check(folder: Path, lab: Path | str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", str(folder), "-a", str(lab), "--backend", "local", "--lang", "en"])  # its English words
    return code, capsys.readouterr().out


def shown_tests(out: str) -> dict[str, str]:
    """The table `grade check` prints: test name -> passed / FAILED / not run."""
    rows = re.findall(r"^  (passed|FAILED|not run) +[\d.]+ / [\d.]+ +(.+)$", out, re.MULTILINE)
    return {name: status for status, name in rows}


def assert_no_secret(assignment: Assignment, edition: Path) -> None:
    """Nothing of the lab's hidden tests, mutants or solutions of hand-in files is in the edition."""
    texts = {name: data.decode("utf-8", "replace") for name, data in files_of(edition).items()}
    for s in assignment.scenarios:
        if s.visibility != "visible":
            for name in s.names:  # in any of its languages
                assert not any(name in t for t in texts.values()), f"hidden scenario {name!r} is in the edition"
    assert not any(part == "mutants" for name in texts for part in Path(name).parts)
    for m in mutants_of(assignment):
        for f in m.folder.iterdir():
            assert f.read_bytes() not in files_of(edition).values(), f"mutant file {f} is in the edition"
    solutions = {(assignment.reference / h).read_bytes() for h in assignment.handin}
    assert not solutions & set(files_of(edition).values()), "a solution of a hand-in file is in the edition"


@pytest.mark.slow
@pytest.mark.parametrize("lab", list_labs())
def test_each_lab_published_then_checked(lab: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assignment = load_assignment(find_assignment(lab)).in_language("en")  # as `check` below shows them
    edition = tmp_path / "edition"
    assert main(["publish", lab, "-o", str(edition)]) == 0
    capsys.readouterr()
    assert_no_secret(assignment, edition)
    shipped = [s.name for s in load_assignment(edition).in_language("en").scenarios]
    assert shipped and set(shipped) <= {s.name for s in assignment.scenarios}

    work = tmp_path / "reference"
    shutil.copytree(assignment.reference, work)
    code, out = check(work, edition, capsys)
    assert code == 0, out
    assert set(shown_tests(out).values()) == {"passed"} and set(shipped) <= set(shown_tests(out))

    (mutant,) = [m for m in mutants_of(assignment) if m.name == FAILS_A_SHIPPED_SCENARIO[lab]]
    code, out = check(materialize(assignment, mutant, tmp_path / mutant.name), edition, capsys)
    assert code == 1, out
    failed = [name for name, status in shown_tests(out).items() if status == "FAILED"]
    assert failed and all(f"---- FAILED: {name} (" in out for name in failed)
    assert "What to check:" in out and "Transcript (seconds since the test started):" in out


def test_a_client_lab_ships_the_course_s_peer_and_no_solution(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Lab 1's first client test runs the course's server.py, which students write too: it stays out,
    and server.py in the edition only says why; lab 4's peer is scripted, and its checks all ship."""
    assert main(["publish", "echo-iterative", "-o", str(tmp_path / "lab1"), "--lang", "en"]) == 0
    out = capsys.readouterr().out  # the lab's names in its own language, French; labgrade's words in English
    first = "le client envoie les lignes tapées, affiche les réponses et se termine en fin d'entrée"
    assert f"{first!r}: runs the course's solution of server.py" in out
    stand_in = (tmp_path / "lab1" / "reference" / "server.py").read_text()
    assert "not in the student edition" in stand_in and "socket" not in stand_in
    assert '"tests": 1' in (tmp_path / "lab1" / NOTE).read_text()


def hidden_lab(tmp_path: Path) -> Path:
    """echo-concurrent with two scenarios hidden, among them the one the concurrency, cleanup and
    Python tests require."""
    lab = tmp_path / "lab"
    shutil.copytree(REPO / "assignments" / "echo-concurrent", lab, ignore=shutil.ignore_patterns("__pycache__"))
    meta = lab / "assignment.yaml"
    meta.write_text(meta.read_text().replace("../../reference", str(REPO / "reference")))
    for file, name in (("concurrency.yaml", GATE), ("server.yaml", "server echoes 100 KB sent at once")):
        path = lab / "scenarios" / file
        text = path.read_text()
        assert f"    en: {name}\n" in text  # the last line of its `name:` (French, then English)
        path.write_text(text.replace(f"    en: {name}\n", f"    en: {name}\n  visibility: hidden\n"))
    return lab


@pytest.mark.slow
def test_check_runs_the_hidden_tests_a_visible_one_requires_and_shows_only_the_visible(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    lab = hidden_lab(tmp_path)
    work = tmp_path / "work"
    shutil.copytree(REPO / "reference" / "echo-concurrent", work)
    (work / "notes.txt").write_text("mine\n")
    before = snapshot(work)
    monkeypatch.chdir(work)  # as a student runs it: in the folder of the work, FOLDER left out
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    monkeypatch.setattr(tempfile, "tempdir", None)  # read from TMPDIR again
    (tmp_path / "tmp").mkdir()
    assert main(["check", "-a", str(lab), "--backend", "local", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    shown = shown_tests(out)
    assert GATE not in out and "server echoes 100 KB sent at once" not in out
    assert shown["a second client is served while the first stays connected"] == "passed"  # requires the hidden gate
    assert shown["two clients take turns, 10 rounds"] == "passed"  # the Python check, which requires it too
    assert "2 more test(s), worth 5 points, are hidden" in out
    assert snapshot(work) == before  # nothing written in FOLDER (the current folder)
    assert list((tmp_path / "tmp").iterdir()) == []  # nor left in the temporary folder
    assert list(Path(os.environ["LABGRADE_CACHE"]).iterdir()) == []  # nor cached

    threads = materialize(load_assignment(lab), next(m for m in mutants_of(load_assignment(lab))
                                                     if m.name == "threads"), tmp_path / "threads")
    code, out = check(threads, lab, capsys)
    assert code == 1
    assert shown_tests(out)["a second client is served while the first stays connected"] == "not run"


@pytest.mark.slow
def test_an_edition_leaves_out_hidden_tests_and_what_requires_them(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    lab = hidden_lab(tmp_path)
    assignment = load_assignment(lab)
    edition = tmp_path / "edition"
    assert main(["publish", str(lab), "-o", str(edition), "--lang", "en"]) == 0
    out = capsys.readouterr().out  # the lab's names in its language, French
    assert ("'un deuxième client est servi pendant que le premier reste connecté': requires "
            "'une connexion est servie par un processus fils'") in out
    assert_no_secret(assignment, edition)
    assert not (edition / "checks").exists()  # its only test requires the hidden gate
    shipped = {s.name for s in load_assignment(edition).in_language("en").scenarios}  # as `check` shows them
    requiring = {s.name for s in assignment.in_language("en").scenarios if GATE in s.requires}
    assert requiring and not shipped & requiring

    work = tmp_path / "work"
    shutil.copytree(REPO / "reference" / "echo-concurrent", work)
    code, out = check(work, edition, capsys)
    assert code == 0, out
    assert set(shown_tests(out)) == shipped
    # the two hidden, the six that require the gate, the Python check
    assert "9 more test(s), worth 21 points, are hidden" in out


def test_publish_refuses_a_folder_that_holds_something(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    assert main(["publish", "echo-iterative", "-o", str(tmp_path / "out"), "--lang", "en"]) == 2
    assert f"{tmp_path / 'out'} already exists and is not an empty folder" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_check_of_a_folder_that_does_not_exist(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path / "nowhere"), "-a", "echo-iterative"]) == 2
    assert "nowhere: no such folder" in capsys.readouterr().err


def test_check_without_a_lab_it_can_infer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "my-work").mkdir()
    assert main(["check", str(tmp_path / "my-work")]) == 2
    assert "pass -a/--assignment" in capsys.readouterr().err


def test_check_says_first_what_is_wrong_with_the_hand_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "serveur.py").write_text("print('hello')\n")
    code, out = check(tmp_path / "work", "echo-concurrent", capsys)
    assert code == 1
    before, found, rest = out.partition("About your hand-in (fix these first):\n")
    assert found and "----" not in before  # before any test's feedback
    assert rest.startswith("  - server.py is missing") and "serveur.py" in rest.splitlines()[0]
    assert set(shown_tests(out).values()) == {"not run"}
    assert "Visible tests: 0 / 33 points; 0 of 15 passed." in out and "These are all the tests of the lab." in out
