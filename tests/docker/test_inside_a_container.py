"""labgrade run inside someone else's container, as autograding platforms and CI runners run it:
Docker's defaults (no CAP_SYS_ADMIN, the default seccomp profile), no network, root inside."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from grader.image import IMAGE

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "echo-concurrent"
pytestmark = pytest.mark.docker


@pytest.fixture
def api() -> Iterator[Any]:
    client = docker.from_env(timeout=60)
    yield client.api
    client.close()


def start_default_container(api: Any, command: list[str], binds: dict[str, dict[str, str]],
                            workdir: str | None = None, environment: dict[str, str] | None = None) -> Any:
    """A started container running `command` as root with Docker's defaults and no network."""
    container = api.create_container(
        IMAGE, command, user="0", entrypoint=[], network_disabled=True, working_dir=workdir, environment=environment,
        labels={"labgrade.test": "inside-a-container"},
        host_config=api.create_host_config(binds=binds, network_mode="none"))
    api.start(container)
    return container


def finished(api: Any, container: Any, timeout: int) -> tuple[int, str]:
    """The container's exit status and output, once it ended; then it is removed."""
    try:
        status = api.wait(container, timeout=timeout)["StatusCode"]
        return status, api.logs(container).decode(errors="replace")
    finally:
        api.remove_container(container, force=True)


def in_default_container(api: Any, code: str) -> tuple[int, str]:
    """Run Python `code` with this checkout's grader, as root in a container with Docker's defaults."""
    command = ["python3", "-I", "-c", f"import sys; sys.path.insert(0, '/repo'); {code}"]
    return finished(api, start_default_container(api, command, {str(REPO): {"bind": "/repo", "mode": "ro"}}), 120)


def test_the_local_backend_says_it_cannot_run_where_namespaces_are_refused(api: Any) -> None:
    """Root in such a container may not create namespaces: the local backend must say so before
    grading (so that `auto` passes it over, or `grade` stops with exit status 4), rather than fail
    every scenario as a grader error."""
    status, out = in_default_container(api, "from grader.sandbox.local import LocalSandbox; "
                                            "print(LocalSandbox.unavailable())")
    assert status == 0, out
    assert "Linux namespaces cannot be made here, even as root" in out and "CAP_SYS_ADMIN" in out


def mounts_for_this_python(api: Any) -> dict[str, dict[str, str]]:
    """This checkout and the venv running the tests, mounted where they are (the venv's scripts name
    their interpreter by path), and the interpreter it was made from, unless it is the system's,
    which the image must then have too."""
    binds = {str(REPO): {"bind": str(REPO), "mode": "ro"}, sys.prefix: {"bind": sys.prefix, "mode": "ro"}}
    if Path(sys.base_prefix) != Path("/usr"):
        binds[sys.base_prefix] = {"bind": sys.base_prefix, "mode": "ro"}
    else:
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        status, out = in_default_container(api, f"import os; assert os.path.exists('/usr/bin/{version}')")
        assert status == 0, f"the image {IMAGE} has no /usr/bin/{version}, the interpreter of this venv: {out}"
    return binds


LABS = ["echo-iterative", "echo-concurrent", "queue", "select-client", "select-server"]


@pytest.mark.slow
def test_selfchecks_pass_with_the_process_backend_in_default_containers(api: Any) -> None:
    """What the process backend is for: inside a container with Docker's defaults, each lab's
    reference scores full marks and every mutant loses points exactly under its declared tags.
    One container per lab, all at once (each has its own network, which the process backend
    shares with the grader)."""
    binds = mounts_for_this_python(api)
    running = {lab: start_default_container(
        api, [f"{sys.prefix}/bin/python", "-m", "grader.cli", "selfcheck", lab, "--backend", "process", "-o",
              "/tmp/out", "--lang", "en"], binds, workdir="/tmp") for lab in LABS}  # the English words read below
    done: dict[str, tuple[int, str]] = {}
    try:
        for lab, container in running.items():
            done[lab] = finished(api, container, 1800)
    finally:
        for lab in running.keys() - done.keys():  # one that timed out: the others go too
            with contextlib.suppress(docker.errors.APIError):
                api.remove_container(running[lab], force=True)
    for lab, (status, out) in done.items():
        assert status == 0, f"{lab}:\n{out[-6000:]}"
        assert "variants scored as declared" in out and "the process sandbox runs each scenario" in out, out[-3000:]


@pytest.mark.slow
def test_the_tests_marked_process_pass_in_default_containers(api: Any) -> None:
    """The tests marked `process` (the sandbox conformance suite, the hostile hand-ins, the corpus
    of realistic hand-ins of every lab), run with this checkout's pytest inside containers with
    Docker's defaults and no network, several at once (each has its own network, which the
    process backend shares): where the process backend cannot hold a protection, those tests
    assert the documented limit by name."""
    binds = mounts_for_this_python(api)
    groups = {"sandbox and hostile": ["tests/integration/test_sandbox.py", "tests/integration/test_hostile.py"],
              **{f"hand-ins of {lab}": ["tests/integration/test_handins.py", "-k", lab] for lab in LABS}}
    running = {name: start_default_container(
        api, [f"{sys.prefix}/bin/python", "-m", "pytest", "-m", "process", "-p", "no:cacheprovider", "-q", "-rs",
              "--basetemp", "/tmp/pytest", *args], binds, workdir=str(REPO),
        environment={"LABGRADE_TEST_INSIDE": "default-container", "PYTHONDONTWRITEBYTECODE": "1"})
        for name, args in groups.items()}
    done: dict[str, tuple[int, str]] = {}
    try:
        for name, container in running.items():
            done[name] = finished(api, container, 1800)
    finally:
        for name in running.keys() - done.keys():
            with contextlib.suppress(docker.errors.APIError):
                api.remove_container(running[name], force=True)
    for name, (status, out) in done.items():
        assert status == 0, f"{name}:\n{out[-12000:]}"
        assert re.search(r"\b\d+ passed\b", out) and "skipped" not in out, f"{name}:\n{out[-3000:]}"


GRADESCOPE_RUN = r"""
set -eu
python3 - /in/autograder.zip /autograder/source <<'PY'
import sys, zipfile
from pathlib import Path
with zipfile.ZipFile(sys.argv[1]) as z:  # as Gradescope unpacks it: each entry's mode kept
    for info in z.infolist():
        path = Path(z.extract(info, sys.argv[2]))
        if info.external_attr >> 16 & 0o777:
            path.chmod(info.external_attr >> 16 & 0o777)
PY
bash /autograder/source/setup.sh > /tmp/setup.log 2>&1 || { cat /tmp/setup.log; exit 1; }
for sub in /in/class/*/; do
  rm -rf /autograder/submission /autograder/results
  cp -r "$sub" /autograder/submission
  /autograder/source/run_autograder > /tmp/run.log 2>&1 || { cat /tmp/run.log; exit 1; }
  python3 -c 'import json, sys; d = json.load(open("/autograder/results/results.json"));
print("RESULT", json.dumps({"name": sys.argv[1], "score": d["score"], "tests": len(d["tests"]),
      "errors": sum("The grader itself failed" in t.get("output", "") for t in d["tests"])}))' "$(basename "$sub")"
done
grep -h "process sandbox" /tmp/run.log
"""


@pytest.mark.slow
def test_the_gradescope_package_grades_offline_in_a_default_container(api: Any, tmp_path: Path) -> None:
    """The Gradescope zip, with its wheelhouse, unpacked and set up in a container with Docker's
    defaults and no network, as Gradescope runs it: each example of the class gets the score the
    local backend gives it on this machine, with no grader error (there, the process sandbox)."""
    import json

    from grader.cli import main

    pack = tmp_path / "in"
    assert main(["gradescope-package", "-a", "echo-concurrent", "--lang", "en", "--wheelhouse", "--wheel-machine",
                 os.uname().machine, "-o", str(pack / "autograder.zip")]) == 0
    shutil.copytree(EXAMPLES, pack / "class")
    assert main([str(EXAMPLES), "-a", "echo-concurrent", "--backend", "local", "-o", str(tmp_path / "local"),
                 "--no-cache"]) == 0
    expected = {s["name"]: s["score"] for s in json.loads((tmp_path / "local" / "results.json").read_text())
                ["submissions"]}
    container = start_default_container(api, ["bash", "-c", GRADESCOPE_RUN], {str(pack): {"bind": "/in", "mode": "ro"}})
    status, out = finished(api, container, 1800)
    assert status == 0, out[-6000:]
    graded = {r["name"]: r for r in (json.loads(line.split(" ", 1)[1]) for line in out.splitlines()
                                     if line.startswith("RESULT "))}
    assert {n: r["score"] for n, r in graded.items()} == expected, out[-6000:]
    assert all(r["errors"] == 0 and r["tests"] > 0 for r in graded.values()), graded
    assert "the process sandbox runs each scenario" in out  # auto chose it, and the log says what it lacks


@pytest.mark.slow
def test_the_classroom_workflow_falls_back_to_the_process_backend(api: Any, tmp_path: Path) -> None:
    """The workflow's grading step where user namespaces stay refused (a runner in a container):
    the local sandbox says why (exit status 4), the step grades again with the process sandbox,
    the job summary says so, and the points are those the local sandbox gives on this machine."""
    import json

    import yaml

    from grader.classroom import RUNNER
    from grader.cli import main

    repo = tmp_path / "echo-concurrent-frank"
    shutil.copytree(EXAMPLES / "echo-concurrent-frank", repo)
    assert main(["classroom", "init", "-a", "echo-concurrent", "--repo", str(repo), "--lang", "en"]) == 0  # read below
    steps = yaml.safe_load((repo / ".github" / "workflows" / "classroom.yml").read_text())["jobs"]
    grading = next(s for job in steps.values() for s in job["steps"] if s.get("id") == RUNNER)
    assert main([str(repo), "-a", "echo-concurrent", "--backend", "local", "-o", str(tmp_path / "local"),
                 "--no-cache"]) == 0
    expected = json.loads((tmp_path / "local" / "results.json").read_text())["submissions"][0]["score"]
    github = tmp_path / "github"
    (github / "runner_temp").mkdir(parents=True)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": f"{github}/output", "GITHUB_STEP_SUMMARY": f"{github}/summary",
           "RUNNER_TEMP": f"{github}/runner_temp", "PATH": f"{sys.prefix}/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "LABGRADE_CACHE": f"{github}/cache"}
    binds = mounts_for_this_python(api) | {str(tmp_path): {"bind": str(tmp_path), "mode": "rw"}}
    container = start_default_container(api, ["bash", "-e", "-c", grading["run"]], binds, workdir=str(repo),
                                        environment=env)
    status, out = finished(api, container, 1800)
    assert status == 0, out[-6000:]
    summary = (github / "summary").read_text()
    assert "graded with the process sandbox" in summary and "Linux namespaces cannot be made here" in summary
    graded = json.loads((github / "runner_temp" / "labgrade" / "results.json").read_text())["submissions"][0]
    assert graded["score"] == expected and not any(t.get("error") for t in graded["tests"]), graded
    assert "result=" in (github / "output").read_text()
