"""The grade on realistic hand-ins (tests/handins/: correct ones in many styles and layouts, and
buggy ones with one typical bug each): each lab's class graded by `grade`, as an instructor would,
and every hand-in must lose points exactly under the tags its expected.yaml declares, and
nowhere else (a correct one: full marks), with no grader error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from grader.cli import main

REPO = Path(__file__).resolve().parents[2]
HANDINS = REPO / "tests" / "handins"
LABS = sorted(p.name for p in HANDINS.iterdir() if p.is_dir() and not p.name.startswith("."))  # .ruff_cache

pytestmark = pytest.mark.slow


def expected(lab: str) -> dict[str, set[str]]:
    """hand-in folder name -> the tags it must fail (expected.yaml; folders or archives)."""
    out = {}
    for sub in sorted((HANDINS / lab).iterdir()):
        declared = sub / "expected.yaml"  # (a tool's hidden folder, or a file, has none)
        if declared.is_file():
            out[sub.name] = set(yaml.safe_load(declared.read_text(encoding="utf-8"))["fails"])
    return out


def misjudged(result: dict[str, object], wanted: dict[str, set[str]]) -> list[str]:
    """What a class's results.json gets wrong against the corpus's expectations."""
    problems = []
    subs = {s["name"]: s for s in result["submissions"]}  # type: ignore[index, union-attr]
    for name, tags in wanted.items():
        sub = subs.get(name)
        if sub is None:
            problems.append(f"{name}: not graded at all")
            continue
        failed = {tag for t in sub["tests"] if t["status"] == "failed" for tag in t["tags"]}
        errors = [t["name"] for t in sub["tests"] if t.get("error")]
        if errors or sub.get("error"):
            problems.append(f"{name}: grader errors {errors or sub['error']}")
        elif failed != tags:
            lost = [f"{t['name']} [{', '.join(t['tags'])}]" for t in sub["tests"] if t["status"] != "passed"]
            why = [t["output"] for t in sub["tests"] if t["status"] == "failed" and not set(t["tags"]) <= tags]
            problems.append(f"{name}: failed under {sorted(failed)}, expected {sorted(tags)} "
                            f"({sub['score']}/{sub['max_score']}; lost: {'; '.join(lost) or '-'})"
                            + "".join(f"\n{output}" for output in why))  # the transcripts: a CI log says why
        elif not tags and sub["score"] != sub["max_score"]:
            problems.append(f"{name}: correct, but {sub['score']}/{sub['max_score']}")
    return problems


def test_the_corpus_is_there() -> None:
    assert set(LABS) == {"echo-iterative", "echo-concurrent", "queue", "select-client", "select-server"}
    for lab in LABS:
        wanted = expected(lab)
        assert sum(not t for t in wanted.values()) >= 6, f"{lab}: fewer than 6 correct hand-ins"
        assert sum(bool(t) for t in wanted.values()) >= 5, f"{lab}: fewer than 5 buggy hand-ins"


# the process backend: inside a container with Docker's defaults (tests/conftest.py), as on Gradescope
@pytest.mark.parametrize("backend", ["local", pytest.param("process", marks=pytest.mark.process)])
@pytest.mark.parametrize("lab", LABS)
def test_every_hand_in_is_graded_as_its_bug_says(lab: str, backend: str, tmp_path: Path) -> None:
    rc = main([str(HANDINS / lab), "-a", lab, "--backend", backend, "-o", str(tmp_path), "--no-cache", "-j", "2"])
    assert rc == 0
    result = json.loads((tmp_path / "results.json").read_text())
    problems = misjudged(result, expected(lab))
    assert not problems, "\n\n".join(problems)
