"""The docker backend against a real engine: the container it makes, its deadlines, and that
nothing of labgrade is left behind, even when the grader is interrupted or killed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from grader.errors import DriverError
from grader.image import BASE_LABEL, IMAGE, OFFLINE_BASE
from grader.sandbox import base, open_backend
from grader.sandbox.docker import (
    CGROUP_MOUNT,
    DRIVER_CAPS,
    MEMORY_RESERVE_MB,
    PIDS_RESERVE,
    WARM_CAPS,
    WORK_MOUNT,
    DockerSandbox,
)
from grader.sandbox.docker import backend as docker_backend
from grader.sandbox.docker import config as docker_config
from grader.sandbox.zygote import DriverServer
from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.docker


@pytest.fixture
def api() -> Iterator[Any]:
    client = docker.from_env(timeout=60)
    yield client.api
    client.close()


@pytest.fixture
def per_scenario() -> Iterator[DockerSandbox]:
    """The docker backend as it is where no warm container can be made: a container per scenario."""
    box = DockerSandbox(warm=False)
    yield box
    box.close()


def containers(api: Any, label: str = "labgrade") -> list[dict[str, Any]]:
    return list(api.containers(all=True, filters={"label": label}))


def gone(api: Any, label: str, within: float = 20.0) -> list[dict[str, Any]]:
    """Containers with `label` still there after `within` s (removal by auto_remove is asynchronous):
    none, or the test fails naming them."""
    wait_for(lambda: not containers(api, label), within, f"the containers labelled {label} to go")
    return containers(api, label)


def interactive_plan(tmp: Path, timeout: float = 30) -> dict[str, Any]:
    sub = tmp / f"sub-{uuid.uuid4().hex[:6]}"
    sub.mkdir()
    sub.chmod(0o755)
    (sub / "server.py").write_text("")
    return {"type": "plan", "steps": [], "interactive": True, "timeout": timeout, "port": 24680, "seed": 1,
            "scenario": "probe",
            "programs": {"server": {"argv": ["server.py", "{port}"], "kind": "server"}},
            "student": {"dir": str(sub)}, "reference": {"dir": str(REPO / "reference" / "echo-iterative")},
            "limits": {"cpu_seconds": 10, "memory_mb": 256, "address_space_mb": 2048, "file_size_mb": 4,
                       "open_files": 64, "processes": 40}, "scratch_mb": 8}


def test_auto_prefers_docker() -> None:
    box = open_backend("auto")
    try:
        assert box.name == "docker"
    finally:
        box.close()


def test_the_warm_container_is_confined(docker_sandbox: DockerSandbox, api: Any, tmp_path: Path) -> None:
    """As root, one container serves every scenario of the backend: no network, a read-only root,
    the capabilities its drivers need to make each scenario's namespaces (the students get none:
    tests/integration/test_sandbox.py runs against it), the backend's folder read-only and the
    host's cgroups, where each scenario's students go; a scenario's end leaves it running."""
    assert os.geteuid() != 0 or docker_sandbox.warm is not None, docker_sandbox.caveat
    if docker_sandbox.warm is None:
        pytest.skip(f"no warm container as a normal user: {docker_sandbox.caveat}")
    info = api.inspect_container(docker_sandbox.warm.cid)
    host, config = info["HostConfig"], info["Config"]
    assert host["NetworkMode"] == "none" and host["IpcMode"] == "private"
    assert host["ReadonlyRootfs"] is True and host["AutoRemove"] is True
    assert host["CapDrop"] == ["ALL"] and set(host["CapAdd"]) == set(WARM_CAPS)
    assert "no-new-privileges" in host["SecurityOpt"]
    assert host["CgroupnsMode"] == "host"  # the students' cgroups are outside the container's own
    mounts = {m["Destination"]: m for m in info["Mounts"]}
    assert not mounts.pop(WORK_MOUNT)["RW"]
    assert mounts.pop(CGROUP_MOUNT)["RW"] and not mounts
    assert config["User"] == "0:0" and config["Image"] == IMAGE
    assert config["Labels"]["labgrade.sandbox"] == docker_sandbox.id
    for _ in range(2):
        proc = docker_sandbox.start(interactive_plan(tmp_path))
        proc.wait_ready()
        assert proc.finish(end=True)["status"] == "passed"
    assert api.inspect_container(docker_sandbox.warm.cid)["State"]["Running"]


def test_a_scenario_past_its_deadline_ends_and_the_warm_container_serves_on(
        docker_sandbox: DockerSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert os.geteuid() != 0 or docker_sandbox.warm is not None, docker_sandbox.caveat  # as root (CI): one
    if docker_sandbox.warm is None:
        pytest.skip(f"no warm container as a normal user: {docker_sandbox.caveat}")
    monkeypatch.setattr(base, "GRACE", 0.5)
    proc = docker_sandbox.start(interactive_plan(tmp_path, timeout=1))
    proc.wait_ready()
    with pytest.raises(DriverError, match="deadline"):
        proc.finish()  # no {"end": true}: the driver waits for a step that never comes
    proc = docker_sandbox.start(interactive_plan(tmp_path))
    proc.wait_ready()
    assert proc.finish(end=True)["status"] == "passed"


def test_a_container_per_scenario_is_confined(per_scenario: DockerSandbox, api: Any, tmp_path: Path) -> None:
    proc = per_scenario.start(interactive_plan(tmp_path))
    proc.wait_ready()
    cid = proc.transport.cid  # type: ignore[attr-defined]
    info = api.inspect_container(cid)
    host, config = info["HostConfig"], info["Config"]
    assert host["NetworkMode"] == "none"
    assert host["ReadonlyRootfs"] is True
    assert host["CapDrop"] == ["ALL"] and set(host["CapAdd"]) == set(DRIVER_CAPS)
    assert "SYS_ADMIN" not in host["CapAdd"]
    assert host["SecurityOpt"] == ["no-new-privileges"]
    assert host["PidsLimit"] == 40 + PIDS_RESERVE
    assert host["Memory"] == host["MemorySwap"] == (256 + MEMORY_RESERVE_MB) << 20
    assert host["NanoCpus"] > 0
    assert "size=8m" in host["Tmpfs"]["/tmp"] and "mode=1777" in host["Tmpfs"]["/tmp"]
    assert host["AutoRemove"] is True
    mounts = {m["Destination"]: m for m in info["Mounts"]}
    assert set(mounts) == {"/submission", "/grader/reference", "/grader/lib/grader"}
    assert not any(m["RW"] for m in mounts.values())
    assert config["User"] == "0:0" and config["Image"] == IMAGE
    assert config["Labels"]["labgrade"] == "1" and config["Labels"]["labgrade.run"]
    assert proc.finish(end=True)["status"] == "passed"
    # this container; the backend's spares wait for the next scenarios
    wait_for(lambda: api.containers(all=True, filters={"id": cid}) == [], 5, f"container {cid[:12]} to go")


def test_a_driver_past_its_deadline_is_killed_and_removed(per_scenario: DockerSandbox, api: Any, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "GRACE", 0.5)
    proc = per_scenario.start(interactive_plan(tmp_path, timeout=1))
    proc.wait_ready()
    cid = proc.transport.cid  # type: ignore[attr-defined]
    with pytest.raises(DriverError, match="deadline"):
        proc.finish()  # no {"end": true}: the driver waits for a step that never comes
    with pytest.raises(docker.errors.NotFound):
        api.inspect_container(cid)


def test_the_container_ends_itself_when_its_grader_is_gone(per_scenario: DockerSandbox, api: Any, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver's own alarm (the host's deadline plus a slack) ends the container, and auto_remove
    removes it, even if nobody on the host is left to do it."""
    monkeypatch.setattr(docker_config, "GRACE", 0)
    monkeypatch.setattr(docker_config, "ALARM_SLACK", 0)
    proc = per_scenario.start(interactive_plan(tmp_path, timeout=2))
    proc.wait_ready()
    cid = proc.transport.cid  # type: ignore[attr-defined]
    try:
        assert gone(api, f"labgrade.sandbox={per_scenario.id}", within=20) == []
        with pytest.raises(docker.errors.NotFound):
            api.inspect_container(cid)
    finally:
        proc.kill()


CRASHING_GRADER = """
import sys, time
sys.path.insert(0, {repo!r})
from grader.sandbox.docker import DockerSandbox
plan = {plan!r}
box = DockerSandbox(warm={warm!r})
proc = box.start(plan)
proc.wait_ready()
print(box.warm.cid if box.warm else proc.transport.cid, flush=True)
time.sleep(600)
"""


def killed_grader(tmp_path: Path, warm: bool) -> str:
    """The container of a grader killed with SIGKILL in the middle of a scenario."""
    code = CRASHING_GRADER.format(repo=str(REPO), plan=interactive_plan(tmp_path, timeout=300), warm=warm)
    grader = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert grader.stdout
        cid = grader.stdout.readline().strip()
        assert cid, "the grader did not start its container"
    finally:
        grader.kill()  # SIGKILL: no atexit, no finally, nothing of the grader runs
        grader.wait()
        if grader.stdout:
            grader.stdout.close()
    return cid


def test_a_killed_graders_warm_container_ends_by_itself(api: Any, tmp_path: Path) -> None:
    """Its driver server sees the grader's socket close, and exits: the container's PID 1, so the
    container ends, scenarios and all, and auto_remove removes it."""
    cid = killed_grader(tmp_path, warm=True)
    assert gone(api, f"id={cid}") == []


def test_a_killed_graders_containers_are_removed_at_the_next_start(api: Any, tmp_path: Path) -> None:
    cid = killed_grader(tmp_path, warm=False)
    state = api.inspect_container(cid)["State"]
    assert state["Running"], state  # the driver is still waiting on its alarm
    box = DockerSandbox(warm=False)  # a new grader: it clears what dead graders left
    box.close()
    def removed() -> bool:
        try:
            api.inspect_container(cid)
        except docker.errors.NotFound:
            return True
        return False

    wait_for(removed, 10, f"container {cid[:12]} of the killed grader to go")


@pytest.mark.parametrize("warm", [True, False])
def test_closing_one_backend_leaves_the_others_containers(warm: bool, api: Any, tmp_path: Path) -> None:
    box = DockerSandbox(warm=warm)
    proc = box.start(interactive_plan(tmp_path))
    proc.wait_ready()
    cid = box.warm.cid if box.warm else proc.transport.cid  # type: ignore[attr-defined]
    other = DockerSandbox(warm=warm)  # same process, another instance (e.g. a second fixture)
    other.close()
    try:
        assert api.inspect_container(cid)["State"]["Running"]
        assert proc.finish(end=True)["status"] == "passed"
    finally:
        proc.kill()
        box.close()


def make_class(tmp_path: Path, n: int) -> Path:
    klass = tmp_path / "echo-iterative"
    for i in range(n):
        shutil.copytree(REPO / "reference" / "echo-iterative", klass / f"echo-iterative-s{i}")
    return klass


def grade_command(klass: Path, out: Path, jobs: int) -> list[str]:
    return [sys.executable, "-m", "grader.cli", str(klass), "--backend", "docker", "-j", str(jobs), "-o", str(out),
            "--no-cache", "--lang", "en"]  # the same class is graded by several tests: each must run containers


def test_a_grading_run_leaves_nothing(api: Any, tmp_path: Path) -> None:
    """As root, the class is graded in one warm container, lent to every submission's pytest run;
    nothing of the run is left: no container, volume or cgroup."""
    run_id = uuid.uuid4().hex[:12]
    since = int(time.time()) - 1
    done = subprocess.run(grade_command(make_class(tmp_path, 3), tmp_path / "out", 2), cwd=REPO, timeout=600,
                          env={**os.environ, "LABGRADE_RUN_ID": run_id}, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "with the docker sandbox" in " ".join(done.stdout.split())  # rich wraps lines
    subs = json.loads((tmp_path / "out" / "results.json").read_text())["submissions"]
    assert len(subs) == 3 and all(sub["score"] == sub["max_score"] > 0 for sub in subs)
    events = api.events(since=since, until=int(time.time()) + 1, decode=True,
                        filters={"type": "container", "event": "create", "label": f"labgrade.run={run_id}"})
    try:
        made = list(events)
    finally:
        events.close()
    assert len(made) == (1 if os.geteuid() == 0 else 3 * 15)
    assert gone(api, f"labgrade.run={run_id}", within=10) == []
    assert not (api.volumes(filters={"label": "labgrade"}) or {}).get("Volumes")
    cgroups = Path("/sys/fs/cgroup")
    assert not [*cgroups.glob(f"labgrade-{run_id}-*"), *cgroups.glob(f"*/labgrade-{run_id}-*")]


def test_a_pytest_run_that_dies_takes_its_scenarios_with_it(docker_sandbox: DockerSandbox, tmp_path: Path) -> None:
    """The warm container serves a run on a channel of its own (DriverServer.channel): when the
    run's end of it closes (it died), the server kills what it forked for it, and serves on."""
    assert os.geteuid() != 0 or docker_sandbox.warm is not None, docker_sandbox.caveat  # as root (CI): one
    if docker_sandbox.warm is None:
        pytest.skip(f"no warm container as a normal user: {docker_sandbox.caveat}")
    _, channel = docker_sandbox.warm.lend()
    joined = DriverServer(channel, "test channel")
    driver = joined.fork()  # a driver in its namespaces, waiting for a plan
    try:
        assert not driver.ended()
        channel.close()  # as the kernel does when the process holding it dies
        assert driver.ended(timeout=30)
    finally:
        driver.kill()
    proc = docker_sandbox.start(interactive_plan(tmp_path))
    proc.wait_ready()
    assert proc.finish(end=True)["status"] == "passed"


def test_ctrl_c_halfway_through_a_run_leaves_nothing(api: Any, tmp_path: Path) -> None:
    run_id = uuid.uuid4().hex[:12]
    grade = subprocess.Popen(grade_command(make_class(tmp_path, 2), tmp_path / "out", 2), cwd=REPO,
                             env={**os.environ, "LABGRADE_RUN_ID": run_id}, start_new_session=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: containers(api, f"labgrade.run={run_id}") or grade.poll() is not None, 180,
                 "a container of the run")
        assert grade.poll() is None, "grade ended before any container appeared"
        os.killpg(grade.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole foreground group
        output, _ = grade.communicate(timeout=180)
    finally:
        if grade.poll() is None:
            os.killpg(grade.pid, signal.SIGKILL)
            grade.wait()
    assert grade.returncode == 130, output
    assert gone(api, f"labgrade.run={run_id}", within=20) == []
    assert not (api.volumes(filters={"label": f"labgrade.run={run_id}"}) or {}).get("Volumes")


def test_the_image_build_is_cached(api: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from grader.cli import main

    base = (api.inspect_image(IMAGE)["Config"]["Labels"] or {}).get(BASE_LABEL)
    if base is None:  # CI builds it so (.ci/run): there, a skip would hide the check
        absent = pytest.fail if os.environ.get("CI") == "true" else pytest.skip
        absent(f"{IMAGE} was not built by `grade image build`")
    assert main(["image", "build", "--base", base] + (["--offline"] if base == OFFLINE_BASE else [])) == 0
    assert "up to date" in capsys.readouterr().out  # said only when nothing was built


def test_a_missing_image_is_named_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker_backend, "IMAGE", "labgrade-grader:no-such-version")
    problem = DockerSandbox.unavailable()
    assert problem and "labgrade-grader:no-such-version missing" in problem and "grade image build" in problem

