"""The local sandbox as a normal user: a user namespace replaces root's uid switch and cgroup."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534


def readable_by_others(path: Path) -> bool:
    return all(os.stat(p).st_mode & 0o005 == 0o005 for p in [path, *path.parents])


@pytest.mark.slow
def test_a_normal_user_grades_with_full_isolation() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to become another user for the test")
    site = Path(sysconfig.get_paths()["purelib"])
    if not (Path("/usr/bin/python3").exists() and readable_by_others(site) and readable_by_others(REPO)):
        pytest.skip(f"{site} or {REPO} is not readable by an unprivileged user here")
    tmp_path = Path(tempfile.mkdtemp(prefix="labgrade-nobody-"))  # pytest's tmp_path is root-only
    tmp_path.chmod(0o777)
    klass = tmp_path / "echo-iterative"
    shutil.copytree(REPO / "reference" / "echo-iterative", klass / "echo-iterative-ref")
    for p in [klass, *klass.rglob("*")]:
        p.chmod(0o777 if p.is_dir() else 0o644)
    done = subprocess.run(
        ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "/usr/bin/python3", "-m",
         "grader.cli", str(klass), "--backend", "local", "-o", str(tmp_path / "out")],
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": f"{REPO}:{site}"},
        capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    (sub,) = json.loads((tmp_path / "out" / "results.json").read_text())["submissions"]
    shutil.rmtree(tmp_path)
    assert sub["score"] == sub["max_score"] > 0, [t["output"] for t in sub["tests"] if t["status"] != "passed"]
