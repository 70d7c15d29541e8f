"""Gradescope and GitHub Classroom, run the way those platforms run them, and every report agreeing.

- The Gradescope zip is built, unpacked into a fake /autograder tree (AUTOGRADER_ROOT), and its
  own run_autograder grades an example submission; results.json is checked against Gradescope's
  spec field by field and against labgrade's own results. Its wheel is installed with pip.
- `grade classroom init` writes the workflow into a repository laid out as a student's; the
  grading step's `run:` command runs as the runner would (cwd = the repository, GITHUB_ACTIONS,
  GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP), and the `result` output is decoded the way
  the Classroom reporter decodes it.
- A class run over examples/echo-concurrent: results.json, each Gradescope results.json,
  grades.csv, junit.xml, report.html and the Classroom result agree on every score.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml

from grader import __version__
from grader.classroom import JOB, REPORTER, RUNNER
from grader.cli import main
from grader.i18n import use
from grader.report import safe_name, write_single
from grader.report.classroom import classroom, console_safe
from grader.results import ClassResult, SubmissionResult, TestResult
from grader.wheel import record_hash

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "echo-concurrent"
VENV_BIN = str(Path(sys.executable).parent)  # the `grade` of the labgrade under test
RUN_SECONDS = 300

# -- the formats, as their consumers read them -------------------------------------------------

VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
GS_TOP = {"score", "execution_time", "output", "output_format", "visibility", "stdout_visibility", "extra_data",
          "tests", "leaderboard"}
GS_TEST = {"score", "max_score", "status", "name", "name_format", "number", "output", "output_format", "tags",
           "visibility", "extra_data"}


def gradescope_problems(doc: Any) -> list[str]:
    """What in `doc` does not follow Gradescope's autograder results.json spec ([] when it does)."""
    if not isinstance(doc, dict):
        return ["not a JSON object"]
    problems = [f"unknown top-level key {k!r}" for k in doc if k not in GS_TOP]
    if not isinstance(doc.get("score"), int | float) or isinstance(doc.get("score"), bool):
        problems.append("score missing or not a number")
    for key in ("visibility", "stdout_visibility"):
        if key in doc and doc[key] not in VISIBILITY:
            problems.append(f"{key} {doc[key]!r} not one of {sorted(VISIBILITY)}")
    if "output" in doc and not isinstance(doc["output"], str):
        problems.append("output not a string")
    tests = doc.get("tests")
    if not isinstance(tests, list):
        return [*problems, "tests missing or not a list"]
    for i, t in enumerate(tests):
        where = f"tests[{i}]"
        problems += [f"{where}: unknown key {k!r}" for k in t if k not in GS_TEST]
        bad = [k for k in ("score", "max_score") if not isinstance(t.get(k), int | float) or isinstance(t.get(k), bool)]
        problems += [f"{where}: {k} missing or not a number" for k in bad]
        if not bad and not 0 <= t["score"] <= t["max_score"]:
            problems.append(f"{where}: score {t['score']} outside 0..{t['max_score']}")
        if t.get("status") not in ("passed", "failed"):
            problems.append(f"{where}: status {t.get('status')!r}")
        if not isinstance(t.get("name"), str) or not t["name"]:
            problems.append(f"{where}: name missing")
        if not isinstance(t.get("output"), str):
            problems.append(f"{where}: output not a string")
        if not isinstance(t.get("tags"), list) or not all(isinstance(x, str) for x in t["tags"]):
            problems.append(f"{where}: tags not a list of strings")
        if t.get("visibility") not in VISIBILITY:
            problems.append(f"{where}: visibility {t.get('visibility')!r}")
        if t.get("status") == "passed" and t.get("score") != t.get("max_score"):
            problems.append(f"{where}: passed without full points")
    if not problems and not math.isclose(doc["score"], sum(t["score"] for t in tests), abs_tol=1e-6):
        problems.append(f"score {doc['score']} is not the sum of the tests' scores")
    return problems


CLASSROOM_TEST = {"name": str, "status": str, "score": (int, float), "message": str, "test_code": str,
                  "filename": str, "line_no": int, "execution_time": str}


def classroom_problems(doc: Any) -> list[str]:
    """What in `doc` the Classroom reporter would misread ([] when nothing)."""
    if not isinstance(doc, dict) or set(doc) != {"version", "status", "max_score", "tests"}:
        return [f"keys {sorted(doc) if isinstance(doc, dict) else doc!r}, expected version, status, max_score, tests"]
    problems = []
    if doc["version"] != 1:
        problems.append(f"version {doc['version']!r}")
    if doc["status"] not in ("pass", "fail", "error"):
        problems.append(f"status {doc['status']!r}")
    if not isinstance(doc["max_score"], int | float) or doc["max_score"] <= 0:
        problems.append("max_score must be a positive number (the reporter skips a runner whose max_score is 0)")
    for i, t in enumerate(doc["tests"]):
        if set(t) != set(CLASSROOM_TEST):
            problems.append(f"tests[{i}] keys {sorted(t)}")
            continue
        problems += [f"tests[{i}].{k} is not {kind}" for k, kind in CLASSROOM_TEST.items()
                     if not isinstance(t[k], kind)]
        if t["status"] not in ("pass", "fail", "error"):
            problems.append(f"tests[{i}].status {t['status']!r}")
    statuses = {t["status"] for t in doc["tests"]}
    expected = "pass" if statuses <= {"pass"} else "fail" if "fail" in statuses else "error"
    if doc["status"] != expected:
        problems.append(f"status {doc['status']!r} but the tests say {expected!r}")
    return problems


def reporter_total(doc: dict[str, Any]) -> tuple[float, float]:
    """What Classroom receives: the reporter's NotifyClassroom sums each test's score, over max_score."""
    return sum(t["score"] for t in doc["tests"]), doc["max_score"]


def decode_output(path: Path, name: str = "result") -> dict[str, Any]:
    """A `name=<base64>` line of a $GITHUB_OUTPUT file, decoded as the reporter does (base64 -> UTF-8 -> JSON)."""
    lines = [line for line in path.read_text().splitlines() if line.startswith(f"{name}=")]
    assert len(lines) == 1, f"expected one {name}= line in {path}: {lines}"
    return dict(json.loads(base64.b64decode(lines[0].split("=", 1)[1], validate=True).decode("utf-8")))


def own_results(report: Path) -> dict[str, Any]:
    """labgrade's results.json for a one-submission run."""
    subs = json.loads((report / "results.json").read_text())["submissions"]
    assert len(subs) == 1
    return dict(subs[0])


def unpack(archive: Path, dest: Path) -> None:
    """Unzip keeping each entry's Unix mode (zipfile.extractall drops it; unzip and Gradescope keep it)."""
    with zipfile.ZipFile(archive) as z:
        for info in z.infolist():
            path = Path(z.extract(info, dest))
            mode = info.external_attr >> 16 & 0o777
            if mode:
                path.chmod(mode)


def run_env(cache: Path, **extra: str) -> dict[str, str]:
    """The environment of a platform's run: this labgrade's `grade` on PATH, a cache of the test's own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "GITHUB_", "AUTOGRADER_"))}
    env["PATH"] = VENV_BIN + os.pathsep + env.get("PATH", "")
    return env | {"LABGRADE_CACHE": str(cache)} | extra


# -- report-level checks: no sandbox -----------------------------------------------------------

def t(name: str, score: float, max_score: float, visibility: str = "visible", output: str = "",
      error: bool = False) -> TestResult:
    return TestResult(name, ("protocol",), score, max_score, "passed" if score == max_score else "failed",
                      output or ("Passed." if score == max_score else "Failed at step 1 of 1"), visibility, error,
                      duration=0.5)


def test_classroom_total_counts_partial_credit_and_hidden_tests_without_naming_them() -> None:
    sub = SubmissionResult("alice", (
        t("echo", 2, 2), t("half the lines", 0.5, 1.5),
        t("secret reaping test", 1, 1, "hidden"), t("secret fd test", 0, 2, "after_due_date",
                                                     output="Failed: secret details")))
    doc = classroom(sub)
    assert classroom_problems(doc) == []
    assert reporter_total(doc) == (sub.score, sub.max_score) == (3.5, 6.5)
    names = [x["name"] for x in doc["tests"]]
    assert names == ["echo", "half the lines", "2 hidden tests"]
    assert "secret" not in json.dumps(doc)
    assert doc["tests"][2] | {"execution_time": ""} == {
        "name": "2 hidden tests", "status": "fail", "score": 1.0, "test_code": "", "filename": "", "line_no": 0,
        "message": "1 of 2 hidden tests did not pass: 1 / 3 points.", "execution_time": ""}
    assert doc["status"] == "fail" and doc["tests"][0]["status"] == "pass" and doc["tests"][0]["message"] == ""


def test_classroom_statuses_and_a_submission_that_could_not_be_graded() -> None:
    ok = classroom(SubmissionResult("bob", (t("echo", 2, 2), t("fork", 3, 3))))
    assert ok["status"] == "pass" and reporter_total(ok) == (5, 5)
    harness = classroom(SubmissionResult("carol", (t("echo", 2, 2), t("fork", 0, 3, error=True))))
    assert harness["status"] == "error" and harness["tests"][1]["status"] == "error"
    broken = SubmissionResult("dave", (t("echo", 0, 2, error=True), t("fork", 0, 3, error=True)),
                              error="the grading run failed")
    doc = classroom(broken)
    assert classroom_problems(doc) == []
    assert reporter_total(doc) == (0, 5) and doc["status"] == "error"
    assert "the grading run failed" in doc["tests"][0]["message"]


def test_student_output_cannot_become_a_workflow_command_in_the_reporters_log() -> None:
    hostile = "fine\n::add-mask::x\n   ::error::y\r::stop-commands::z\n##[set-env name=A]b\x1b[31m"
    safe = console_safe(hostile)
    for line in safe.splitlines():  # the runner trims leading spaces, then looks for `::`; `##[` anywhere
        assert not line.lstrip().startswith("::") and "##[" not in line, line
    assert "\x1b" not in safe and "\r" not in safe
    sub = SubmissionResult("eve", (t("echo", 0, 2, output=f"Failed at step 1 of 1: {hostile}\n\nWhat to check:\n"
                                                         f"{hostile}"),))
    for line in classroom(sub)["tests"][0]["message"].splitlines():
        assert not line.lstrip().startswith("::") and "##[" not in line, line


def test_single_submission_outputs_grade_one_submission(tmp_path: Path) -> None:
    """--gradescope-results grades the folder given as one upload, whatever is in it: two
    different server.py at the same depth are one finding, not two students."""
    upload = tmp_path / "upload"
    for name in ("a", "b"):
        (upload / name).mkdir(parents=True)
        (upload / name / "server.py").write_text(f"# {name}\n")
    assert main([str(upload), "-a", "echo-concurrent", "--backend", "local",
                 "--gradescope-results", str(tmp_path / "r.json"), "-o", str(tmp_path / "out"), "--lang", "en"]) == 0
    doc = json.loads((tmp_path / "r.json").read_text())
    assert doc["score"] == 0 and doc["output"].startswith("server.py is handed in 2 times, with different contents")
    result = ClassResult("echo-concurrent", (SubmissionResult("a", (t("echo", 2, 2),)),
                                             SubmissionResult("b", (t("echo", 0, 2),))))
    assert write_single(result, tmp_path / "r.json", tmp_path / "out") == []  # a class: nothing to say for whom


def test_classroom_init_refuses_to_overwrite_and_rejects_unknown_labs(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classroom", "init", "-a", "no-such-lab", "--repo", str(tmp_path)]) == 2
    assert "no assignment 'no-such-lab'" in capsys.readouterr().err
    assert main(["classroom", "init", "-a", "echo-iterative", "--repo", str(tmp_path)]) == 0
    assert main(["classroom", "init", "-a", "echo-iterative", "--repo", str(tmp_path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["classroom", "init", "-a", "echo-iterative", "--repo", str(tmp_path), "--force",
                 "--install", "git+https://example.org/course/labgrade@v1"]) == 0
    text = (tmp_path / ".github" / "workflows" / "classroom.yml").read_text()
    assert "pip install git+https://example.org/course/labgrade@v1" in text


# -- Gradescope ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gradescope_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gradescope") / "autograder.zip"
    assert main(["gradescope-package", "-a", "echo-concurrent", "-o", str(out), "--lang", "en"]) == 0  # the lab: fr
    return out


def test_gradescope_zip_layout_and_scripts(gradescope_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(gradescope_zip) as z:
        names = z.namelist()
        modes = {i.filename: i.external_attr >> 16 & 0o777 for i in z.infolist()}
    wheel = f"labgrade-{__version__}-py3-none-any.whl"
    assert {"setup.sh", "run_autograder", wheel, "assignment/assignment.yaml"} <= set(names)
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert any(n.startswith("assignment/scenarios/") for n in names)
    assert {"assignment/reference/server.py", "assignment/reference/client.py"} <= set(names)
    assert not any("/mutants/" in n or "__pycache__" in n for n in names)
    unpack(gradescope_zip, tmp_path)
    for script in ("setup.sh", "run_autograder"):
        done = subprocess.run(["bash", "-n", str(tmp_path / script)], capture_output=True, text=True)
        assert done.returncode == 0, f"{script}: {done.stderr}"
    setup = (tmp_path / "setup.sh").read_text()
    assert f"pip install --quiet ./{wheel}" in setup and "/opt/labgrade" in setup
    # the same sources give the same bytes: re-uploading an unchanged autograder changes nothing
    again = tmp_path / "again.zip"
    assert main(["gradescope-package", "-a", "echo-concurrent", "-o", str(again), "--lang", "en"]) == 0
    digest = {z: hashlib.sha256(z.read_bytes()).hexdigest() for z in (again, gradescope_zip)}  # not pytest's byte diff
    assert digest[again] == digest[gradescope_zip]


def test_gradescope_wheel_installs_with_pip_and_carries_the_labs(gradescope_zip: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(gradescope_zip) as z:
        wheel = tmp_path / f"labgrade-{__version__}-py3-none-any.whl"
        wheel.write_bytes(z.read(wheel.name))
    with zipfile.ZipFile(wheel) as w:
        info = f"labgrade-{__version__}.dist-info"
        record = w.read(f"{info}/RECORD").decode().splitlines()
        for line in record:
            name, _, rest = line.partition(",")
            if name != f"{info}/RECORD":
                assert rest == record_hash(w.read(name)), f"RECORD is wrong for {name}"
        assert len(record) == len(w.namelist())
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                           "--disable-pip-version-check", "--target", str(site), str(wheel)],
                          capture_output=True, text=True, timeout=RUN_SECONDS)
    assert done.returncode == 0, done.stderr
    dist = next(d for d in metadata.distributions(path=[str(site)]) if d.metadata["Name"] == "labgrade")
    assert dist.version == __version__
    points = {(e.group, e.name): e.value for e in dist.entry_points}
    assert points[("console_scripts", "grade")] == "grader.cli:main"
    assert points[("pytest11", "labgrade")] == "grader.plugin"
    assert any(r.startswith("jsonschema") for r in dist.requires or [])
    # the installed copy, not this checkout, finds its bundled labs (grader/_data)
    probe = ("import grader, grader.assignment as a; print(grader.__file__); print(','.join(a.list_labs())); "
             "print(a.load_assignment(a.find_assignment('queue')).reference)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=RUN_SECONDS,
                          env=run_env(tmp_path / "cache", PYTHONPATH=str(site)), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    where, labs, reference = done.stdout.splitlines()
    assert Path(where).is_relative_to(site)
    assert set(labs.split(",")) >= {"echo-iterative", "echo-concurrent", "queue", "select-client", "select-server"}
    assert Path(reference) == site / "grader" / "_data" / "reference" / "queue"


def test_run_autograder_grades_a_submission_as_gradescope_would(gradescope_zip: Path, tmp_path: Path) -> None:
    root = tmp_path / "autograder"
    unpack(gradescope_zip, root / "source")
    shutil.copytree(EXAMPLES / "echo-concurrent-frank", root / "submission")  # no waitpid: partial marks
    report = tmp_path / "labgrade-report"
    done = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          timeout=RUN_SECONDS, cwd=root, stdin=subprocess.DEVNULL,
                          env=run_env(tmp_path / "cache", AUTOGRADER_ROOT=str(root), LABGRADE_REPORT_DIR=str(report)))
    assert done.returncode == 0, done.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    assert gradescope_problems(doc) == []
    own = own_results(report)
    assert doc["score"] == own["score"] and 0 < doc["score"] < own["max_score"]
    assert [(x["name"], x["score"], x["max_score"], x["status"], x["tags"], x["visibility"]) for x in doc["tests"]] == \
           [(x["name"], x["score"], x["max_score"], x["status"], x["tags"], x["visibility"]) for x in own["tests"]]
    failed = [x for x in doc["tests"] if x["status"] == "failed"]
    assert failed and all("zombie" in x["output"] for x in failed)  # frank's bug, in the student's feedback
    assert not any((tmp_path / "cache").rglob("*")), "a Gradescope run grades afresh: nothing from or to a cache"


@pytest.mark.parametrize("upload", ["empty", "absent"])
def test_run_autograder_always_leaves_results(gradescope_zip: Path, tmp_path: Path, upload: str) -> None:
    """An empty hand-in is graded: 0, and the finding says what is missing. When grading cannot
    even start (here: no submission folder at all), Gradescope still gets a results.json that says why."""
    root = tmp_path / "autograder"
    unpack(gradescope_zip, root / "source")
    if upload == "empty":
        (root / "submission").mkdir()
    done = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          timeout=RUN_SECONDS, cwd=root, env=run_env(tmp_path / "cache", AUTOGRADER_ROOT=str(root)))
    assert done.returncode == 0, done.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    assert gradescope_problems(doc) == []
    assert doc["score"] == 0
    if upload == "empty":
        assert doc["output"].startswith("server.py is missing: the lab asks for server.py, and no file handed in")
        assert {t["status"] for t in doc["tests"]} == {"failed"} and all(t["output"].startswith("Not run: ")
                                                                          for t in doc["tests"])
    else:
        assert "could not be graded" in doc["output"] and "no such file or folder" in doc["output"]


@pytest.fixture(scope="module")
def french_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gradescope-fr") / "autograder.zip"
    try:
        assert main(["gradescope-package", "-a", "echo-concurrent", "-o", str(out), "--lang", "fr"]) == 0
    finally:
        use("en")
    return out


# what run_autograder says itself when grade cannot (its fallback), in the language it was packaged in
FALLBACK = {
    "en": ("Your submission could not be graded: the grader stopped (exit status 1)\n\nHand in the programs the lab "
           "asks for (server.py) at the top of your submission, then submit again."),
    "fr": ("Votre rendu n'a pas pu être noté : le correcteur s'est arrêté (code de sortie 1)\n\nRendez les "
           "programmes que demande le TP (server.py) à la racine de votre rendu, puis soumettez-le à nouveau."),
}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_run_autograder_speaks_the_language_it_was_packaged_in(gradescope_zip: Path, french_zip: Path,
                                                               tmp_path: Path, lang: str) -> None:
    """The script's own fallback, run for real: a `grade` that stops without a word (here `false`) still
    leaves a results.json, in the zip's language; an empty hand-in is graded in that language too."""
    root = tmp_path / "autograder"
    unpack({"en": gradescope_zip, "fr": french_zip}[lang], root / "source")
    assert f"--lang {lang} " in (root / "source" / "run_autograder").read_text()
    (root / "submission").mkdir()
    done = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          timeout=RUN_SECONDS, cwd=root, stdin=subprocess.DEVNULL,
                          env=run_env(tmp_path / "cache", AUTOGRADER_ROOT=str(root), LABGRADE_GRADE="false"))
    assert done.returncode == 0, done.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    assert gradescope_problems(doc) == [] and doc["score"] == 0 and doc["output"] == FALLBACK[lang]
    (root / "results" / "results.json").unlink()
    done = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          timeout=RUN_SECONDS, cwd=root, env=run_env(tmp_path / "cache", AUTOGRADER_ROOT=str(root)))
    assert done.returncode == 0, done.stderr
    doc = json.loads((root / "results" / "results.json").read_text())
    missing, not_run = {"en": ("server.py is missing: the lab asks for server.py", "Not run: "),
                        "fr": ("server.py manque : le TP demande server.py", "Non exécuté : ")}[lang]
    assert doc["output"].startswith(missing) and all(t["output"].startswith(not_run) for t in doc["tests"])


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_run_autograder_gives_no_grade_when_no_sandbox_can_be_made(gradescope_zip: Path, french_zip: Path,
                                                                   tmp_path: Path, lang: str) -> None:
    """A container where no sandbox can be made (here: a Docker engine that is not there) is the
    autograder's set-up, not the student's doing: no results.json (Gradescope shows an autograder
    failure, to regrade once fixed), never a 0, and the instructor's log says why (in the zip's language)."""
    root = tmp_path / "autograder"
    unpack({"en": gradescope_zip, "fr": french_zip}[lang], root / "source")
    shutil.copytree(EXAMPLES / "echo-concurrent-frank", root / "submission")
    done = subprocess.run([str(root / "source" / "run_autograder")], capture_output=True, text=True,
                          timeout=RUN_SECONDS, cwd=root, stdin=subprocess.DEVNULL,
                          env=run_env(tmp_path / "cache", AUTOGRADER_ROOT=str(root), LABGRADE_BACKEND="docker",
                                      DOCKER_HOST=f"unix://{tmp_path / 'no-engine.sock'}"))
    assert done.returncode == 1, done.stderr
    assert not (root / "results" / "results.json").exists()
    said = {"en": "the docker backend cannot run here", "fr": "le bac à sable docker ne peut pas fonctionner ici"}
    assert said[lang] in done.stderr and "no-engine.sock" in done.stderr
    assert {"en": "labgrade: nothing was graded: no sandbox can be made in this container (see above)",
            "fr": "labgrade : rien n'a été noté : aucun bac à sable ne peut être créé dans ce conteneur (voir plus "
                  "haut)"}[lang] in done.stderr


# -- GitHub Classroom ---------------------------------------------------------------------------

# the workflow's texts a student reads, in each language: its note when the local sandbox cannot start, the
# job summary, the advice of a failed test in the reporter's message
CLASSROOM_WORDS = {
    "en": ("### The local sandbox could not start: graded with the process sandbox", "labgrade results",
           "Failed at step"),
    "fr": ("### Le bac à sable local n'a pas pu démarrer : noté avec le bac à sable par processus",
           "résultats de labgrade", "Échec à l'étape"),
}


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_classroom_workflow_runs_on_a_student_repository(tmp_path: Path, lang: str) -> None:
    repo = tmp_path / "echo-concurrent-frank"
    shutil.copytree(EXAMPLES / "echo-concurrent-frank", repo)
    try:
        assert main(["classroom", "init", "-a", "echo-concurrent", "--repo", str(repo), "--lang", lang]) == 0
    finally:
        use("en")
    flow = yaml.safe_load((repo / ".github" / "workflows" / "classroom.yml").read_text())
    assert flow["name"] == "Autograding Tests"
    assert set(flow["on"]) >= {"push", "workflow_dispatch"}
    assert flow["permissions"]["checks"] == "write"
    (job,) = flow["jobs"].values()
    assert list(flow["jobs"]) == [JOB] and "name" not in job  # the check run the reporter updates
    steps = job["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert uses[0].startswith("actions/checkout@") and any(u.startswith("actions/setup-python@") for u in uses)
    python = next(s for s in steps if s.get("uses", "").startswith("actions/setup-python@"))["with"]["python-version"]
    assert tuple(int(x) for x in str(python).split(".")) >= (3, 11)
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    assert f"labgrade=={__version__}" in install["run"]
    ids = [s.get("id") for s in steps]
    grading = steps[ids.index(RUNNER)]
    reporter = steps[-1]
    assert ids.index(RUNNER) < len(steps) - 1 and reporter["uses"] == REPORTER
    assert reporter["with"]["runners"] == RUNNER
    assert reporter["env"] == {f"{RUNNER.upper()}_RESULTS": f"${{{{ steps.{RUNNER}.outputs.result }}}}"}
    assert "--backend local" in grading["run"] and "-a echo-concurrent" in grading["run"]
    note, heading, failed_at = CLASSROOM_WORDS[lang]
    # graded, and said, in the chosen language
    assert f"--lang {lang} " in grading["run"] and f"echo {shlex.quote(note)}\n" in grading["run"]

    # the grading step, as the runner runs it: `bash -e` in the checkout, with GitHub's variables
    output, summary, runner_temp = tmp_path / "github_output", tmp_path / "step_summary", tmp_path / "runner_temp"
    output.write_text("earlier=step\n")
    summary.touch()
    runner_temp.mkdir()
    done = subprocess.run(["bash", "-e", "-c", grading["run"]], cwd=repo, capture_output=True, text=True,
                          timeout=RUN_SECONDS, stdin=subprocess.DEVNULL,
                          env=run_env(tmp_path / "cache", GITHUB_ACTIONS="true", GITHUB_OUTPUT=str(output),
                                      GITHUB_STEP_SUMMARY=str(summary), RUNNER_TEMP=str(runner_temp), CI="true"))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert output.read_text().startswith("earlier=step\n")  # appended to, as GitHub requires
    doc = decode_output(output)
    assert classroom_problems(doc) == []
    own = own_results(runner_temp / "labgrade")
    assert reporter_total(doc) == (own["score"], own["max_score"])
    assert 0 < own["score"] < own["max_score"] and doc["status"] == "fail"
    assert [(x["name"], x["score"]) for x in doc["tests"]] == [(x["name"], x["score"]) for x in own["tests"]]
    failing = [x for x in doc["tests"] if x["status"] == "fail"]
    assert failing and all("waitpid" in x["message"] for x in failing)  # advice the student can act on
    assert "::error title=" in done.stdout and "zombie" in summary.read_text()  # annotations and job summary
    assert heading in summary.read_text() and all(x["message"].startswith(failed_at) for x in failing)
    assert not (repo / "grading-report").exists()  # nothing written into the graded checkout


# -- every format agrees ------------------------------------------------------------------------

class MatrixParser(HTMLParser):
    """report.html's submissions x scenarios grid: {submission: (score, [cell points])}."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, tuple[float, list[float]]] = {}
        self.in_matrix = False
        self.row: str | None = None
        self.cells: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table" and "matrix" in (a.get("class") or ""):
            self.in_matrix = True
        elif self.in_matrix and tag == "tr" and a.get("data-name") is not None:
            self.row, self.cells = a["data-name"], []
        elif self.row is not None and tag == "td":
            self.cells.append(a.get("data-v") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_matrix = False
        elif tag == "tr" and self.row is not None:
            # name, score, percent, one cell per scenario, failed tags
            self.rows[self.row] = (float(self.cells[1]), [float(c) for c in self.cells[3:-1]])
            self.row = None


@pytest.fixture(scope="module")
def class_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("class-run")
    assert main([str(EXAMPLES), "--backend", "local", "-j", "2", "--no-cache", "-o", str(out)]) == 0
    return out


@pytest.mark.slow
def test_every_report_of_a_class_run_agrees_on_every_score(class_run: Path, tmp_path: Path) -> None:
    klass = json.loads((class_run / "results.json").read_text())
    subs = {s["name"]: s for s in klass["submissions"]}
    assert sorted(subs) == sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())
    scores = {name: s["score"] for name, s in subs.items()}
    assert len(set(scores.values())) > 1, "the example class should not score all alike"
    per_test = {name: [(x["name"], x["score"]) for x in s["tests"]] for name, s in subs.items()}
    for s in subs.values():
        assert math.isclose(s["score"], sum(x["score"] for x in s["tests"]))
    scenario_names = [x["name"] for x in next(iter(subs.values()))["tests"]]

    # Gradescope: one results.json per submission
    for name, s in subs.items():
        doc = json.loads((class_run / safe_name(name) / "results.json").read_text())
        assert gradescope_problems(doc) == [], name
        assert doc["score"] == s["score"] and [(x["name"], x["score"]) for x in doc["tests"]] == per_test[name]

    # grades.csv
    with (class_run / "grades.csv").open(newline="", encoding="utf-8") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    assert set(rows) == set(subs)
    for name, s in subs.items():
        row = rows[name]
        assert float(row["score"]) == s["score"] and float(row["max_score"]) == s["max_score"]
        assert [(n, float(row[n])) for n in scenario_names] == per_test[name]
        tags = {c for c in row if c.startswith("tag:")}
        for tag in tags:
            assert math.isclose(float(row[tag]), sum(x["score"] for x in s["tests"] if tag[4:] in x["tags"]))

    # junit.xml
    suites = {x.get("name"): x for x in ET.parse(class_run / "junit.xml").getroot().iter("testsuite")}
    assert set(suites) == set(subs)
    for name, s in subs.items():
        props = {p.get("name"): p.get("value") for p in suites[name].iter("property")}
        assert float(props["score"] or "nan") == s["score"] and float(props["max_score"] or "nan") == s["max_score"]
        cases = [(c.get("name"), "failed" if c.find("failure") is not None or c.find("error") is not None
                  else "not_run" if c.find("skipped") is not None else "passed") for c in suites[name].iter("testcase")]
        assert cases == [(x["name"], x["status"]) for x in s["tests"]]

    # report.html: the grid's score column and every cell
    page = MatrixParser()
    page.feed((class_run / "report.html").read_text(encoding="utf-8"))
    assert set(page.rows) == set(subs)
    for name, s in subs.items():
        score, cells = page.rows[name]
        assert score == s["score"] and cells == [x for _, x in per_test[name]]

    # GitHub Classroom: each submission's result, through the same writer the workflow uses
    for name, s in subs.items():
        sub = SubmissionResult(name, tuple(TestResult.from_json(x) for x in s["tests"]))
        output = tmp_path / f"{safe_name(name)}.output"
        write_single(ClassResult(klass["assignment"], (sub,)), classroom_output=output)
        doc = decode_output(output)
        assert classroom_problems(doc) == []
        assert reporter_total(doc) == (s["score"], s["max_score"])
        assert [(x["name"], x["score"]) for x in doc["tests"]] == per_test[name]  # no hidden test in this lab
