"""Whole labs through the real sandbox: references score 100 %, mutants lose exactly their tags,
the pytest plugin works with pytest's own options, and a correct submission in another style
gets full marks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.cli import main
from grader.mutants import materialize, mutants_of

REPO = Path(__file__).resolve().parents[2]
LABS = ["echo-iterative", "echo-concurrent", "queue", "select-client", "select-server"]

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("lab", LABS)
def test_selfcheck(lab: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["selfcheck", lab, "--backend", "local", "-o", str(tmp_path), "--lang", "en"])  # its English words
    out = capsys.readouterr().out
    assert rc == 0, out
    mutants = [d for d in (REPO / "assignments" / lab / "mutants").iterdir() if d.is_dir()]
    assert len(mutants) >= 4
    assert f"{len(mutants) + 1} of {len(mutants) + 1} variants scored as declared" in out
    results = json.loads((tmp_path / "results.json").read_text())
    reference = next(s for s in results["submissions"] if s["name"] == "reference")
    assert reference["score"] == reference["max_score"] > 0


def pytest_run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          capture_output=True, text=True, cwd=REPO, timeout=600)


def test_plugin_runs_scenarios_as_pytest_items(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    lab = REPO / "assignments" / "echo-concurrent"
    done = pytest_run(str(lab), "--submission", str(REPO / "reference" / "echo-concurrent"), "-k", "zombies",
                      f"--junitxml={junit}", "-c", str(REPO / "grader" / "grading.ini"), "--rootdir", str(lab))
    assert done.returncode == 0, done.stdout + done.stderr
    cases = ET.parse(junit).getroot().iter("testcase")
    # pytest alone speaks the lab's language: French (`language: fr`)
    assert [c.get("name") for c in cases] == ["les fils terminés sont récupérés (pas d'accumulation de zombies)"]


def test_failing_item_prints_feedback_not_a_traceback(tmp_path: Path) -> None:
    lab = REPO / "assignments" / "echo-concurrent"
    assignment = load_assignment(lab)
    sub = materialize(assignment, next(m for m in mutants_of(assignment) if m.name == "no-reap"), tmp_path / "no-reap")
    done = pytest_run(str(lab), "--submission", str(sub), "-k", "zombies", "-c", str(REPO / "grader" / "grading.ini"),
                      "--rootdir", str(lab))
    assert done.returncode == 1
    assert "Échec à l'étape 5 sur 5 : probe" in done.stdout  # pytest alone speaks the lab's language: French
    # decided as soon as nothing more could happen, not after the 3 s the step allows
    assert re.search(r"avait \d+ fils zombies à [0-9,]+ s, quand plus rien ne pouvait se produire \(server attend "
                     r"dans accept4?\(\)\), attendu : au plus 1", done.stdout), done.stdout
    assert "Traceback" not in done.stdout


@pytest.mark.parametrize(("variant", "check_status"), [("reference", "passed"), ("threads", "not_run")])
def test_a_scenario_and_a_check_answer_to_their_names_in_either_language(tmp_path: Path, variant: str,
                                                                          check_status: str) -> None:
    """pytest alone grades echo-concurrent in French: the scenario chosen by its English name runs under
    its French one; the Python check's bilingual name= is French, and its `requires=` (written in
    English) waits for that scenario: run when it passed, not run when it failed (the threads mutant)."""
    lab = REPO / "assignments" / "echo-concurrent"
    assignment = load_assignment(lab)
    sub = REPO / "reference" / "echo-concurrent" if variant == "reference" else materialize(
        assignment, next(m for m in mutants_of(assignment) if m.name == variant), tmp_path / variant)
    results = tmp_path / "results.json"
    done = pytest_run(str(lab), "--submission", str(sub), "--labgrade-scenario", "a connection is served by a child "
                      "process", f"--labgrade-results={results}", "-c", str(REPO / "grader" / "grading.ini"),
                      "--rootdir", str(lab))
    assert done.returncode in (0, 1), done.stdout + done.stderr
    tests = {t["name"]: t for t in json.loads(results.read_text())["tests"]}
    gate, check = "une connexion est servie par un processus fils", "deux clients parlent à tour de rôle, 10 tours"
    assert set(tests) == {gate, check}
    assert tests[check]["status"] == check_status
    if check_status == "not_run":
        assert tests[check]["output"] == f"Non exécuté : nécessite « {gate} », qui n'a pas réussi"


FORKING_SERVER = '''
import socketserver, sys

class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        while data := self.request.recv(65536):
            self.request.sendall(data)

class Server(socketserver.ForkingTCPServer):
    allow_reuse_address = True
    request_queue_size = 5

with Server(("", int(sys.argv[1])), Echo) as server:
    server.serve_forever()
'''

SIGCHLD_SERVER = '''
import os, signal, socket, sys

def reap(signum, frame):
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass

signal.signal(signal.SIGCHLD, reap)
with socket.create_server(("", int(sys.argv[1])), backlog=5, reuse_port=False) as veilleur:
    while True:
        conn, _ = veilleur.accept()
        if os.fork() == 0:
            veilleur.close()
            with conn:
                for chunk in iter(lambda: conn.recv(4096), b""):
                    conn.sendall(chunk)
            os._exit(0)
        conn.close()
'''


@pytest.mark.parametrize("server", [FORKING_SERVER, SIGCHLD_SERVER], ids=["ForkingTCPServer", "sigchld-handler"])
def test_unseen_correct_styles_get_full_marks(server: str, tmp_path: Path) -> None:
    sub = tmp_path / "class" / "echo-concurrent-newstudent"
    shutil.copytree(REPO / "reference" / "echo-concurrent", sub)
    (sub / "server.py").write_text(server)
    rc = main([str(tmp_path / "class"), "--backend", "local", "-o", str(tmp_path / "out")])
    assert rc == 0
    result = json.loads((tmp_path / "out" / "results.json").read_text())
    assert result["assignment"] == "echo-concurrent"  # inferred from the Classroom-style folder name
    (student,) = result["submissions"]
    failed = [t["name"] + "\n" + t["output"] for t in student["tests"] if t["status"] != "passed"]
    assert not failed, "\n\n".join(failed)
    assert student["score"] == student["max_score"]
    gradescope = json.loads((tmp_path / "out" / "echo-concurrent-newstudent" / "results.json").read_text())
    assert gradescope["score"] == student["score"]
    assert {t["status"] for t in gradescope["tests"]} == {"passed"}
