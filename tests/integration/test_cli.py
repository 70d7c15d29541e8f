"""`grade` as an instructor meets it: discovery, lab inference, clear errors, nothing lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader import __version__
from grader.assignment import find_assignment, load_assignment
from grader.cli import main
from grader.discovery import other_lab

REPO = Path(__file__).resolve().parents[2]


def test_unknown_lab_lists_the_labs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "alice").mkdir()
    assert main([str(tmp_path), "-a", "no-such-lab"]) == 2
    err = capsys.readouterr().err
    assert "no assignment 'no-such-lab'" in err and "echo-concurrent" in err


@pytest.mark.parametrize("argv", [["-a", "echo-concurent"], ["selfcheck", "echo-concurent"]])
def test_a_mistyped_lab_name_gets_a_did_you_mean(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  argv: list[str]) -> None:
    (tmp_path / "alice").mkdir()
    assert main([str(tmp_path), *argv] if argv[0] == "-a" else argv) == 2
    assert "error: no assignment 'echo-concurent': did you mean 'echo-concurrent'?" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "says"), [(["selfchek", "echo-iterative"], "'selfchek': did you mean 'selfcheck'?"),
                                            (["merg"], "'merg': did you mean 'merge'?"),
                                            (["gradescope-pakage", "-a", "x"],
                                             "'gradescope-pakage': did you mean 'gradescope-package'?")])
def test_a_mistyped_command_gets_a_did_you_mean(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch, argv: list[str], says: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert capsys.readouterr().err == f"error: unknown command {says}\n"


def test_a_folder_named_like_a_command_is_graded_as_submissions(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """`selfchek` is a command mistyped only when no such file exists: an existing folder is SUBMISSIONS."""
    (tmp_path / "selfchek").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["selfchek", "-a", "no-such-lab"]) == 2
    assert "no assignment 'no-such-lab'" in capsys.readouterr().err


def test_version() -> None:
    grade = Path(sys.executable).with_name("grade")  # the installed command, as an instructor runs it
    done = subprocess.run([str(grade), "--version"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, f"labgrade {__version__}\n", "")


def test_lab_cannot_be_inferred(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "class" / "alice").mkdir(parents=True)
    assert main([str(tmp_path / "class")]) == 2
    assert "pass -a/--assignment" in capsys.readouterr().err


def test_a_lab_contradicting_the_classroom_names_is_warned_about(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Classroom clones are `<assignment>-<login>`: -a naming another lab is said, and obeyed."""
    klass = tmp_path / "tp"
    (klass / "echo-concurrent-alice").mkdir(parents=True)  # empty: every test not run, at once
    assert main([str(klass), "-a", "echo-iterative", "-o", str(tmp_path / "out"), "--no-cache", "--lang", "en"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert ("warning: grading as echo-iterative (-a), but the folder names start with echo-concurrent, another lab "
            "(GitHub Classroom names clones <assignment>-<login>): is -a right?") in said
    assert json.loads((tmp_path / "out" / "results.json").read_text())["assignment"] == "echo-iterative"


@pytest.mark.parametrize(("folder", "subs", "lab", "says"), [
    ("queue-2024", ["alice"], "echo-iterative", "queue"),  # the class folder's name
    ("tp", ["select-server-alice", "select-server-bob"], "select-client", "select-server"),
    ("tp", ["select-server-alice", "bob"], "select-client", None),  # not every submission
    ("tp", ["echo-concurrent-alice"], "echo-concurrent", None),  # agrees with -a
    ("tp", ["echo-concurrent-v2-alice"], "echo-concurrent-v2", None),  # a lab of one's own, whose name is longer
    ("tp", [], "queue", None),  # no submission: nothing is said for every one
])
def test_which_other_lab_the_folder_names_say(tmp_path: Path, folder: str, subs: list[str], lab: str,
                                              says: str | None) -> None:
    for name in subs:
        (tmp_path / folder / name).mkdir(parents=True)
    (tmp_path / folder).mkdir(exist_ok=True)
    assert other_lab(lab, tmp_path / folder, [tmp_path / folder / n for n in subs]) == says


def test_the_terminal_and_report_html_count_the_same_scenarios(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """echo-concurrent has a check written in Python beside its YAML scenarios: both count it."""
    (tmp_path / "class" / "alice").mkdir(parents=True)  # empty: every test not run, at once
    assert main([str(tmp_path / "class"), "-a", "echo-concurrent", "-o", str(tmp_path / "out"), "--no-cache",
                 "--lang", "en"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    tests = json.loads((tmp_path / "out" / "results.json").read_text())["submissions"][0]["tests"]
    yaml_scenarios = len(load_assignment(find_assignment("echo-concurrent")).scenarios)
    assert len(tests) == yaml_scenarios + 1  # the case where the two counts used to differ
    assert f"echo-concurrent: 1 submission(s), {len(tests)} scenario(s)" in said
    report = (tmp_path / "out" / "report.html").read_text()
    assert f"1 submission(s), {len(tests)} scenario(s), graded by labgrade" in report


def test_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path / "nothing-here"), "-a", "echo-iterative", "--lang", "en"]) == 2
    assert "nothing-here: no such file or folder" in capsys.readouterr().err


@pytest.mark.parametrize(("option", "value", "says"), [("-j", "0", "0 is too few: 1 or more"),
                                                      ("--side-by-side", "-2", "-2 is too few: 1 or more"),
                                                      ("--side-by-side", "four", "'four' is not a whole number")])
@pytest.mark.parametrize("command", ["grade", "selfcheck"])  # every command with -j and --side-by-side
def test_how_many_at_once_is_one_or_more(tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str,
                                         value: str, says: str, command: str) -> None:
    (tmp_path / "alice").mkdir()
    argv = [str(tmp_path), "-a", "echo-iterative"] if command == "grade" else ["selfcheck", "echo-iterative"]
    with pytest.raises(SystemExit) as stop:
        main([*argv, option, value])
    assert stop.value.code == 2
    assert f"argument {option}" in (err := capsys.readouterr().err) and says in err


def test_pytest_refuses_fewer_than_one_side_by_side(tmp_path: Path) -> None:
    """`pytest --submission` takes --side-by-side too, with the same check (pytest's usage error is 4)."""
    done = subprocess.run([sys.executable, "-m", "pytest", str(REPO / "assignments" / "echo-iterative"),
                           "--submission", str(REPO / "reference" / "echo-iterative"), "-c",
                           str(REPO / "grader" / "grading.ini"), "--rootdir", str(tmp_path), "-p", "no:cacheprovider",
                           "--side-by-side", "0"], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 4 and "argument --side-by-side: 0 is too few: 1 or more" in done.stderr, done.stderr


def test_broken_scenario_file_names_file_and_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lab = tmp_path / "lab"
    shutil.copytree(REPO / "assignments" / "echo-iterative", lab)
    (lab / "assignment.yaml").write_text((lab / "assignment.yaml").read_text().replace(
        "../../reference", str(REPO / "reference")))
    (lab / "scenarios" / "bad.yaml").write_text("- name: typo\n  tags: [protocol]\n  points: 1\n  steps:\n"
                                                "    - conect: alice\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "server.py").write_text("")
    assert main([str(tmp_path / "sub"), "-a", str(lab)]) == 2
    err = capsys.readouterr().err
    assert f"{lab / 'scenarios' / 'bad.yaml'}:5:" in err.replace("\n", "")
    assert "unknown step 'conect'" in err


@pytest.mark.slow
def test_broken_submissions_never_stop_the_class(tmp_path: Path) -> None:
    klass = tmp_path / "echo-iterative"
    shutil.copytree(REPO / "reference" / "echo-iterative", klass / "good")
    (klass / "syntax").mkdir()
    (klass / "syntax" / "server.py").write_text("def broken(:\n")
    (klass / "empty").mkdir()
    (klass / "binary").mkdir()
    (klass / "binary" / "server.py").write_bytes(b"\x7fELF\x00\x01\x02" * 100)
    assert main([str(klass), "-o", str(tmp_path / "out"), "-j", "2", "--lang", "en"]) == 0
    subs = {s["name"]: s for s in json.loads((tmp_path / "out" / "results.json").read_text())["submissions"]}
    assert subs["good"]["score"] == subs["good"]["max_score"] == 21
    for name in ("syntax", "empty", "binary"):
        assert subs[name]["score"] == 0, name
        assert all(t["output"] and not t["error"] for t in subs[name]["tests"])
    # one finding each, at the top; the tests it prevents say so in a line, without the traceback
    assert subs["syntax"]["findings"] == ["client.py is missing: the lab asks for server.py and client.py, and no "
                                          "file handed in is called client.py.",
                                          "server.py does not compile: line 1: invalid syntax"]
    first, *others = [t for t in subs["syntax"]["tests"] if "server.py" in t["started"]]
    assert first["status"] == "failed" and "SyntaxError" in first["output"]  # the evidence, once
    assert {t["status"] for t in others} == {"not_run"} and len(others) >= 6
    assert all(t["output"].startswith("Not run: server.py does not compile: line 1") for t in others)
    assert subs["binary"]["findings"][1].startswith("server.py does not compile")
    assert subs["empty"]["findings"][0].startswith("server.py is missing: the lab asks for server.py and client.py")
    empty_out = next(t["output"] for t in subs["empty"]["tests"] if t["name"] == "server echoes one line")
    assert empty_out == "Not run: server.py is missing from the hand-in (see the first finding)"
    assert {t["status"] for t in subs["empty"]["tests"]} == {"not_run"}


@pytest.mark.slow
def test_names_are_bytes_and_uploads_are_one_submission(tmp_path: Path) -> None:
    """A submission folder whose name is not UTF-8 (Linux names are bytes) is graded and reported
    like the others; a platform's upload (--gradescope-results) is one submission, its files
    wherever they are in it."""
    klass = tmp_path / "class"
    weird = os.fsdecode(b"caf\xe9 \xc3\xa9l\xc3\xa8ve")  # latin-1 é, then UTF-8 é and è
    for name in (weird, "Zoé Martin_48213_assignsubmission_file_"):
        shutil.copytree(REPO / "reference" / "echo-concurrent", klass / name / "TP2")
    assert main([str(klass), "-a", "echo-concurrent", "-o", str(tmp_path / "out"), "-j", "2", "--lang", "en"]) == 0
    subs = {s["name"]: s for s in json.loads((tmp_path / "out" / "results.json").read_text())["submissions"]}
    assert set(subs) == {"caf\\xe9 élève", "Zoé Martin_48213_assignsubmission_file_"}
    assert all(s["score"] == s["max_score"] for s in subs.values())
    assert subs["caf\\xe9 élève"]["findings"] == ["server.py was found in TP2/ (not at the top of the hand-in): "
                                                  "graded from there."]
    assert "caf\\xe9 élève" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")

    upload = tmp_path / "submission"  # as Gradescope lays out an uploaded folder, with litter beside it
    shutil.copytree(REPO / "reference" / "echo-concurrent", upload / "mon TP")
    (upload / "notes").mkdir()
    results = tmp_path / "results.json"
    assert main([str(upload), "-a", "echo-concurrent", "-o", str(tmp_path / "one"),
                 "--gradescope-results", str(results), "--lang", "en"]) == 0
    doc = json.loads(results.read_text())
    assert doc["score"] == 33 and doc["output"].startswith("server.py was found in mon TP/")


@pytest.mark.slow
def test_folders_named_like_options_are_graded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    klass = tmp_path / "echo-iterative"
    for name in ("--foo", "-p"):
        shutil.copytree(REPO / "reference" / "echo-iterative", klass / name)
    monkeypatch.chdir(klass)  # `grade .`: the submissions' paths are "--foo" and "-p"
    assert main([".", "-o", str(tmp_path / "out"), "-j", "2"]) == 0
    subs = json.loads((tmp_path / "out" / "results.json").read_text())["submissions"]
    assert {(s["name"], s["score"]) for s in subs} == {("--foo", 21), ("-p", 21)}


def test_the_runs_log_says_which_fixed_times_it_uses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every other wait ends on an event: the log names the bounds and the rate windows left."""
    klass = tmp_path / "select-server"
    shutil.copytree(REPO / "reference" / "select-server", klass / "good")
    assert main([str(klass), "-o", str(tmp_path / "out"), "--backend", "local", "--lang", "en"]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert ("Fixed times: 0.05 s of CPU time for each thread of a program that never sleeps to settle "
            "(0.01 s for one of a program already running); "
            "rates measured over a window, unless "
            "decided at once ('no busy-waiting while idle': cpu_ms over 1.0 s; 'no busy-waiting while idle': "
            "wakeups over 1.0 s)") in said, said
