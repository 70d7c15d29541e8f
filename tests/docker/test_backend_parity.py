"""Both backends give the same verdicts: every lab's selfcheck (the reference and every mutant)
graded in Docker containers and in local namespaces, compared test by test.

Some mutants fail a test only when a race goes their way (e.g. a SIGCHLD handler that reaps once
leaves zombies only when two children exit together), so one run per backend can differ by chance.
A (variant, test) whose statuses differ is graded again RECHECKS times on each backend, and the
backends must then agree on the majority status: a sandbox that changes what a probe sees fails
every time, a race does not.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path

import pytest

from grader.assignment import find_assignment, load_assignment
from grader.cli import main
from grader.mutants import materialize, mutants_of
from grader.run import grade_scenario, prepare
from grader.sandbox import open_backend

LABS = ["echo-iterative", "echo-concurrent", "queue", "select-client", "select-server"]
RECHECKS = 4

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def verdicts(lab: str, backend: str, out: Path, capsys: pytest.CaptureFixture[str]) -> dict[tuple[str, str], str]:
    """Every (variant, test) status of the lab's selfcheck on `backend`. Whether each variant scored
    as declared is test_labs.py's concern (and a mutant's own race may upset it): compared here."""
    main(["selfcheck", lab, "--backend", backend, "-o", str(out), "--lang", "en"])  # its English words
    printed = " ".join(capsys.readouterr().out.split())  # rich wraps lines
    assert f"with the {backend} sandbox" in printed
    results = json.loads((out / "results.json").read_text())
    return {(s["name"], t["name"]): t["status"] for s in results["submissions"] for t in s["tests"]}


def regrade(lab: str, variant: str, test: str, backend: str, tmp: Path) -> list[str] | None:
    """`test` of `variant` graded RECHECKS more times on `backend` (None: not a scenario)."""
    assignment = load_assignment(find_assignment(lab))
    scenario = next((s for s in assignment.scenarios if s.name == test), None)
    if scenario is None:
        return None  # a check written in Python: compared as it is
    where = Path(tempfile.mkdtemp(prefix=f"{variant}-{backend}-", dir=tmp))  # a variant may differ on several tests
    src = where / "src"
    if variant == "reference":
        shutil.copytree(assignment.reference, src)
    else:
        materialize(assignment, next(m for m in mutants_of(assignment) if m.name == variant), src)
    handin, staged = prepare(src, assignment, where / "staged")
    box = open_backend(backend)
    try:
        return [grade_scenario(box, assignment, scenario, staged, handin.files)[0].status for _ in range(RECHECKS)]
    finally:
        box.close()


def majority(statuses: list[str]) -> str:
    (top, n), *rest = Counter(statuses).most_common()
    return top if not rest or rest[0][1] < n else "tie"


@pytest.mark.parametrize("lab", LABS)
def test_same_verdicts_on_docker_and_local(lab: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docker = verdicts(lab, "docker", tmp_path / "docker", capsys)
    local = verdicts(lab, "local", tmp_path / "local", capsys)
    assert docker.keys() == local.keys()
    differ = []
    for key in (k for k in docker if docker[k] != local[k]):
        again = {b: regrade(lab, *key, b, tmp_path) for b in ("docker", "local")}
        seen = {"docker": [docker[key], *(again["docker"] or [])], "local": [local[key], *(again["local"] or [])]}
        if again["docker"] is None or majority(seen["docker"]) != majority(seen["local"]):
            differ.append(f"{key}: docker {seen['docker']}, local {seen['local']}")
    assert not differ, "(variant, test) graded differently by the two backends:\n" + "\n".join(differ)
