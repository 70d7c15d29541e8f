"""The docker backend's parts that need no engine: apt mirror discovery for the offline image,
the attach stream's framing, the containers' configuration, who owns a container, and what
happens without an engine."""

from __future__ import annotations

import os
import signal
import socket
import struct
from pathlib import Path

import pytest

from grader import image
from grader.sandbox import open_backend
from grader.sandbox.docker import (
    DRIVER_CAPS,
    MEMORY_RESERVE_MB,
    PIDS_RESERVE,
    WARM_CAPS,
    WORK_MOUNT,
    DockerSandbox,
    DockerTransport,
    Frames,
    owner_id,
    owner_is_gone,
    sigint_deferred,
)
from grader.sandbox.docker.config import alarm_of, scenario_config, scenario_plan, warm_config
from grader.sandbox.docker.transport import STDERR_KEPT

DEB822 = """\
Types: deb
# http://snapshot.example/archive/debian/20250520T000000Z
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: {keyring}

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main
"""


def use_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, files: dict[str, str]) -> None:
    (tmp_path / "sources.list.d").mkdir()
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(image, "APT_SOURCES", (tmp_path / "sources.list", tmp_path / "sources.list.d"))


def test_mirror_from_deb822_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    keyring = tmp_path / "archive.gpg"
    keyring.write_text("")
    use_sources(monkeypatch, tmp_path, {
        "sources.list.d/debian.sources": DEB822.format(keyring=keyring),
        "sources.list.d/other.list.disabled": "deb http://nope.example/ bookworm main\n",
    })
    assert image.apt_mirror("bookworm") == ("http://mirror.example/debian", str(keyring))


def test_mirror_from_one_line_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_sources(monkeypatch, tmp_path, {"sources.list": "# deb http://old.example/debian bookworm main\n"
                                                        "deb-src http://src.example/debian bookworm main\n"
                                                        "deb [arch=amd64] http://one.example/debian bookworm main\n"})
    assert image.apt_mirror("bookworm") == ("http://one.example/debian", None)


def test_no_mirror_for_the_suite_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_sources(monkeypatch, tmp_path, {"sources.list": "deb http://one.example/debian trixie main\n"})
    with pytest.raises(image.ImageError, match="no `deb` source for Debian bookworm"):
        image.apt_mirror("bookworm")


def test_the_image_digest_follows_the_dockerfile_and_base() -> None:
    assert image.digest("a") == image.digest("a") != image.digest("b")
    assert "ARG BASE=" + image.DEFAULT_BASE in image.dockerfile_text()


def frame(kind: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", kind, len(data)) + data


class FakeApi:
    def wait(self, cid: str, timeout: int) -> dict[str, int]:
        return {"StatusCode": 3}

    def remove_container(self, cid: str, force: bool, v: bool) -> None:
        self.removed = cid


def test_the_attach_stream_is_demultiplexed() -> None:
    ours, theirs = socket.socketpair()
    api = FakeApi()
    transport = DockerTransport(api, "c0ffee", ours)
    stream = frame(1, b'{"ready"') + frame(2, b"a warning\n") + frame(1, b": true}\n")
    got = b""
    for i in range(0, len(stream), 5):  # frames cut anywhere
        theirs.sendall(stream[i:i + 5])
        got += transport.read() or b""
    assert got == b'{"ready": true}\n'
    transport.write(b"plan\n")
    assert theirs.recv(100) == b"plan\n"
    theirs.close()
    assert transport.read() is None
    transport.wait(1.0)
    assert transport.exit_status() == 3
    assert transport.stderr_tail() == "a warning\n"
    transport.kill()
    transport.kill()
    assert api.removed == "c0ffee"


def test_owners_that_ended_are_told_apart() -> None:
    me = owner_id()
    assert not owner_is_gone(me)
    host, boot, _pid, start = me.rsplit("/", 3)
    assert owner_is_gone(f"{host}/{boot}/999999999/{start}")  # no such process
    assert owner_is_gone(f"{host}/{boot}/{os.getpid()}/1")  # the pid was reused
    assert owner_is_gone(f"{host}/another-boot/{os.getpid()}/{start}")
    assert not owner_is_gone(f"another-host/{boot}/999999999/{start}")  # not ours to judge
    assert not owner_is_gone("garbage")


def test_ctrl_c_waits_for_the_removal() -> None:
    done = []
    with pytest.raises(KeyboardInterrupt), sigint_deferred():
        signal.raise_signal(signal.SIGINT)  # to this thread: kill(getpid()) may land in another thread, handled later
        done.append("removal finished")
    assert done == ["removal finished"]


def test_no_engine_is_named_and_auto_falls_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    problem = DockerSandbox.unavailable()
    assert problem and "no Docker engine answers" in problem and "start dockerd" in problem
    box = open_backend("auto")
    try:
        assert box.name == "local"
    finally:
        box.close()
    assert "using the local sandbox (docker: no Docker engine answers" in capsys.readouterr().err


def test_frames_split_anywhere_give_the_same_stdout_and_stderr() -> None:
    stream = frame(1, b'{"ready": true}\n') + frame(2, b"warn") + frame(1, b"") + frame(2, b"ing\n") + frame(1, b"x")
    for cut in range(1, len(stream)):
        frames = Frames()
        out = frames.feed(stream[:cut]) + frames.feed(stream[cut:])
        assert (out, bytes(frames.stderr)) == (b'{"ready": true}\nx', b"warning\n"), cut
    frames = Frames()
    assert b"".join(frames.feed(stream[i:i + 1]) for i in range(len(stream))) == b'{"ready": true}\nx'


def test_frames_keep_only_the_end_of_stderr() -> None:
    frames = Frames()
    frames.feed(frame(2, b"a" * STDERR_KEPT) + frame(2, b"the end"))
    assert len(frames.stderr) == STDERR_KEPT and frames.stderr.endswith(b"athe end")


def test_a_scenario_container_is_configured_from_the_plan_without_an_engine(tmp_path: Path) -> None:
    plan = {"timeout": 10, "scratch_mb": 8, "limits": {"processes": 40, "memory_mb": 256, "socket_mb": 2},
            "student": {"dir": str(tmp_path / "sub")}, "reference": {"dir": "/elsewhere"}}
    labels = {"labgrade": "1"}
    config = scenario_config(plan, tmp_path / "ref", tmp_path / "lib", labels)
    host = config["host_config"]
    assert host["PidsLimit"] == 40 + PIDS_RESERVE
    assert host["Memory"] == host["MemorySwap"] == (256 + MEMORY_RESERVE_MB) << 20
    assert host["KernelMemoryTCP"] == 2 << 20
    assert host["NetworkMode"] == "none" and host["ReadonlyRootfs"] and host["CapDrop"] == ["ALL"]
    assert host["CapAdd"] == DRIVER_CAPS and "SYS_ADMIN" not in host["CapAdd"]
    assert host["Tmpfs"] == {"/tmp": "rw,exec,nosuid,nodev,size=8m,mode=1777"}
    assert {(m["Target"], m["Source"], m["ReadOnly"]) for m in host["Mounts"]} == {
        ("/submission", str(tmp_path / "sub"), True), ("/grader/reference", str(tmp_path / "ref"), True),
        ("/grader/lib/grader", str(tmp_path / "lib" / "grader"), True)}
    assert config["labels"] == labels and config["command"][-1] == str(alarm_of(plan))
    seen = scenario_plan(plan)
    assert seen["student"]["dir"] == "/submission" and seen["reference"]["dir"] == "/grader/reference"
    assert seen["limits"]["max_processes"] == 40 and "processes" not in seen["limits"]


def test_the_warm_container_is_configured_without_an_engine(tmp_path: Path) -> None:
    config = warm_config(tmp_path, {"labgrade": "1"}, apparmor=True)
    host = config["host_config"]
    assert host["CapAdd"] == WARM_CAPS and host["CgroupnsMode"] == "host"
    assert "apparmor=unconfined" in host["SecurityOpt"]
    assert "apparmor=unconfined" not in warm_config(tmp_path, {}, apparmor=False)["host_config"]["SecurityOpt"]
    assert f"{WORK_MOUNT}/driver.sock" in config["command"]
