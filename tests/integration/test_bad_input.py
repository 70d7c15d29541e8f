"""Bad instructor input, as an instructor meets it: `grade`, `grade selfcheck` and pytest itself,
run as commands on a broken assignment folder. Each says what is wrong in ONE message naming the
file and line (`error in the assignment: FILE:LINE: ...` on stderr, exit 2), with no traceback,
and grades nothing. (What every kind of broken file says is tested in tests/unit/test_assignment_*.)
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.unit.test_assignment_load import ASSIGNMENT_YAML, BASIC_YAML, HEAD, make_assignment

REPO = Path(__file__).resolve().parents[2]
GRADE = [sys.executable, "-c", "import sys; from grader.cli import main; sys.exit(main())"]


@dataclass(frozen=True)
class Broken:
    """An assignment folder with one mistake, and where the message must point."""

    file: str  # relative to the folder
    line: int | None
    says: str
    scenarios: dict[str, str] = field(default_factory=lambda: {"basic.yaml": BASIC_YAML})
    meta: str = ASSIGNMENT_YAML
    scripts: tuple[str, ...] = ("server.py", "client.py")

    def make(self, root: Path) -> Path:
        return make_assignment(root, self.scenarios, self.meta, self.scripts)


CASES = {
    "malformed-yaml": Broken("scenarios/bad.yaml", 3, "not valid YAML",
                             {"bad.yaml": "- name: x\n  tags: [protocol\n  points: 2\n"}),
    "schema-violation": Broken("scenarios/bad.yaml", 3, "expected a number, found text 'two'",
                               {"bad.yaml": HEAD.replace("points: 2", 'points: "two"')}),
    "unknown-step": Broken("scenarios/bad.yaml", 6, "unknown step 'conect'",
                           {"bad.yaml": HEAD + "    - conect: alice\n"}),
    "unknown-tag": Broken("scenarios/bad.yaml", 2, "unknown tag 'speed'",
                          {"bad.yaml": HEAD.replace("[protocol]", "[protocol, speed]")}),
    "unknown-program": Broken("scenarios/bad.yaml", 6, "unknown program 'proxy'",
                              {"bad.yaml": HEAD + "    - start: {program: proxy}\n"}),
    "duplicate-scenario-names": Broken("scenarios/b.yaml", 1, "duplicate scenario name 'server echoes one line'",
                                       {"a.yaml": BASIC_YAML, "b.yaml": BASIC_YAML}),
    "missing-reference-program": Broken("assignment.yaml", 4, "program 'server': the reference has no server.py",
                                        scripts=("client.py",)),
    "assignment-yaml-unknown-key": Broken("assignment.yaml", 6, "unknown key 'titel'",
                                          meta=ASSIGNMENT_YAML + "titel: Lab\n"),
    "no-scenarios": Broken("scenarios", None, "no scenarios: add scenarios/*.yaml files", scenarios={}),
}


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def expected_message(folder: Path, case: Broken) -> str:
    where = f"{folder / case.file}:{case.line}" if case.line else f"{folder / case.file}"
    return f"{where}: "


def check_one_message(stderr: str, folder: Path, case: Broken) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"error in the assignment: {expected_message(folder, case)}"), stderr
    assert case.says in lines[0], stderr


@pytest.mark.parametrize("name", list(CASES))
def test_grade_says_where_and_exits_2(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    folder = case.make(tmp_path / "lab")
    (tmp_path / "class" / "alice").mkdir(parents=True)
    (tmp_path / "class" / "alice" / "server.py").write_text("print('hi')\n")
    done = run([*GRADE, str(tmp_path / "class"), "-a", str(folder), "--backend", "local", "-o", str(tmp_path / "out")],
               tmp_path)
    assert done.returncode == 2, done.stderr
    check_one_message(done.stderr, folder, case)
    assert "Traceback" not in done.stdout + done.stderr
    assert not (tmp_path / "out").exists(), "nothing is graded"


@pytest.mark.parametrize("name", ["malformed-yaml", "missing-reference-program"])
def test_selfcheck_says_where_and_exits_2(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    folder = case.make(tmp_path / "lab")
    done = run([*GRADE, "selfcheck", str(folder), "--backend", "local", "-o", str(tmp_path / "out")], tmp_path)
    assert done.returncode == 2, done.stderr
    check_one_message(done.stderr, folder, case)
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("name", ["malformed-yaml", "missing-reference-program", "no-scenarios"])
def test_pytest_collection_error_says_where(tmp_path: Path, name: str) -> None:
    """pytest run directly on the assignment: a collection error with the same message, once, from the
    collector of the file at fault (a scenario file's, else assignment.yaml's); no traceback."""
    case = CASES[name]
    folder = case.make(tmp_path / "lab")
    done = run([sys.executable, "-m", "pytest", str(folder), "--submission", str(folder / "ref"),
                "-c", str(REPO / "grader" / "grading.ini"), "--rootdir", str(folder), "--backend", "local",
                "--collect-only", "-q"], tmp_path)
    out = done.stdout + done.stderr
    assert done.returncode == 2, out  # pytest's "interrupted: errors during collection"
    full = [line for line in out.splitlines() if line.startswith(expected_message(folder, case))]
    assert len(full) == 1 and case.says in full[0], out
    reported_by = case.file if case.file.endswith(".yaml") and case.line else "assignment.yaml"
    assert f"ERROR collecting {reported_by}" in out, out
    assert "Traceback" not in out and "grader/assignment" not in out, out


def test_the_labs_collect_without_error(tmp_path: Path) -> None:
    """The other side of the collection errors: a sound lab collects its scenarios, and only them."""
    lab = REPO / "assignments" / "echo-iterative"
    done = run([sys.executable, "-m", "pytest", str(lab), "--submission", str(REPO / "reference" / "echo-iterative"),
                "-c", str(REPO / "grader" / "grading.ini"), "--rootdir", str(lab), "--backend", "local",
                "--collect-only", "-q"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    items = [line for line in done.stdout.splitlines() if "::" in line]
    assert items and all(line.startswith("scenarios/") for line in items), done.stdout
