"""Stopping processes and sweeping cgroups (grader/sandbox/lifecycle.py), on real processes and,
as root, real cgroups: each signal of the ladder is sent only to what still runs, the last one
to the whole group, each step logged; a backend's sweep() removes what its run left."""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import select
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from grader.cache import environment
from grader.sandbox.base import RUN_ENV
from grader.sandbox.lifecycle import KILL, Ladder, Process, kill_uid, stop
from grader.sandbox.local import Cgroup, LocalSandbox, sandbox_python
from grader.sandbox.process import SCENARIO_UIDS, ProcessSandbox, owns_processes
from tests.waiting import wait_for


def uids_with_processes() -> set[int]:
    """The real uids of every process this PID namespace's /proc shows, zombies included."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError, IndexError, ValueError, StopIteration):
            uid_line = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                            if line.startswith("Uid:"))
            found.add(int(uid_line.split()[1]))
    return found

# a child that says which signals it ignores, then waits; with "group", it first starts a
# grandchild in its process group that ignores INT and TERM, and prints its pid
CHILD = """
import os, signal, subprocess, sys
ignored = sys.argv[1].split(",") if sys.argv[1] else []
for name in ignored:
    signal.signal(getattr(signal, name), signal.SIG_IGN)
if sys.argv[2] == "group":
    grandchild = subprocess.Popen([sys.executable, "-c", "import signal, sys; "
        "signal.signal(signal.SIGINT, signal.SIG_IGN); signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); sys.stdin.read()"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert grandchild.stdout.readline() == b"ready\\n"
    print(grandchild.pid, flush=True)
print("ready", flush=True)
signal.pause()
"""
LADDER = Ladder(((signal.SIGINT, 0.2), (signal.SIGTERM, 0.2), (signal.SIGKILL, 10.0)))


def child(ignored: str, group: bool = False) -> tuple[subprocess.Popen[bytes], int | None]:
    proc = subprocess.Popen([sys.executable, "-c", CHILD, ignored, "group" if group else "alone"],
                            stdout=subprocess.PIPE, start_new_session=group)
    assert proc.stdout
    grandchild = int(proc.stdout.readline()) if group else None
    assert proc.stdout.readline() == b"ready\n"
    return proc, grandchild


@pytest.mark.parametrize(("ignored", "ended_by"), [("", signal.SIGINT), ("SIGINT", signal.SIGTERM),
                                                   ("SIGINT,SIGTERM", signal.SIGKILL)])
def test_each_signal_goes_only_to_what_still_runs(ignored: str, ended_by: signal.Signals,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    proc, _ = child(ignored)
    caplog.set_level(logging.DEBUG, logger="labgrade.lifecycle")
    with proc:
        assert stop([Process("the child", pid=proc.pid)], LADDER) == []
    assert proc.returncode == -ended_by  # (Python ends by SIGINT after an unhandled KeyboardInterrupt)
    sent = [r.getMessage() for r in caplog.records if "sent" in r.getMessage()]
    ladder = [signal.SIGINT, signal.SIGTERM, signal.SIGKILL]
    expected = ladder[:ladder.index(ended_by) + 1]  # nothing after the signal that ended it
    assert sent == [f"the child: {s.name} sent" for s in expected]
    assert f"the child ended ({ended_by.name})" in caplog.messages


def test_the_last_signal_takes_the_whole_group() -> None:
    proc, grandchild = child("", group=True)
    assert grandchild is not None
    watched = os.pidfd_open(grandchild)
    try:
        with proc:
            stop([Process("the child", pid=proc.pid, group=True)], LADDER)
        assert proc.returncode == -signal.SIGINT  # it ended on SIGINT; its grandchild ignored SIGINT and SIGTERM...
        assert select.select([watched], [], [], 10)[0] == [watched]  # ...and the group's SIGKILL ended it
    finally:
        os.close(watched)


def test_a_process_that_ended_already_is_no_error() -> None:
    with subprocess.Popen([sys.executable, "-c", "pass"]) as proc:
        pass
    assert stop([Process("the child", pid=proc.pid)], KILL) == []


# run under a scenario's uid: a process, and a daemon it made (double-forked, in a session of its own),
# each printing its pid once it waits
UID_PROCESSES = """
import os, signal
if os.fork() == 0:
    if os.fork() == 0:
        os.setsid()
        print(os.getpid(), flush=True)
        signal.pause()
    os._exit(0)
print(os.getpid(), flush=True)
signal.pause()
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="taking another uid needs root")
def test_kill_uid_ends_every_process_of_the_uid_and_nothing_else() -> None:
    python = sandbox_python()
    assert python
    busy = uids_with_processes()
    uid, other = [u for u in reversed(SCENARIO_UIDS) if u not in busy][:2]  # the top of the range: not in use

    def as_uid(u: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(["setpriv", f"--reuid={u}", f"--regid={u}", "--clear-groups", python, "-I", "-c",
                                 UID_PROCESSES], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)

    victim, bystander = as_uid(uid), as_uid(other)
    watched: list[int] = []
    try:
        assert victim.stdout and bystander.stdout
        pids = [int(victim.stdout.readline()) for _ in range(2)]
        bystanders = [int(bystander.stdout.readline()) for _ in range(2)]
        watched = [os.pidfd_open(pid) for pid in (*pids, *bystanders)]
        kill_uid(uid, python)
        wait_for(lambda: len(select.select(watched[:2], [], [], 0)[0]) == 2, 10, f"the processes of uid {uid} to end")
        assert victim.wait() == -signal.SIGKILL
        assert select.select(watched[2:], [], [], 0)[0] == []  # the other uid's were not touched
        assert bystander.poll() is None
    finally:  # whatever kill_uid did
        stop([Process(f"process {n}", pidfd=fd) for n, fd in enumerate(watched)], KILL)
        for fd in watched:
            os.close(fd)
        for proc in (victim, bystander):
            with proc:
                proc.wait()


@pytest.mark.skipif(os.geteuid() != 0, reason="cgroups are made as root only")
def test_the_local_backend_sweeps_its_runs_cgroups(monkeypatch: pytest.MonkeyPatch) -> None:
    run = uuid.uuid4().hex[:12]
    monkeypatch.setenv(RUN_ENV, run)
    cgroup = Cgroup(8, 64)
    other = subprocess.Popen([sys.executable, "-c", "import sys; print('ready', flush=True); sys.stdin.read()"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert other.stdout and other.stdout.readline() == b"ready\n"
        for procs in cgroup.procs:
            Path(procs).write_text(str(other.pid))
        assert all(run in d.name and d.exists() for d in cgroup.dirs)
        LocalSandbox.sweep(within=10)
        assert other.wait() == -signal.SIGKILL
        assert not any(d.exists() for d in cgroup.dirs)
    finally:
        with other:
            other.kill()
        cgroup.close()


def test_the_cache_key_takes_each_backends_fingerprint() -> None:
    local = environment("local")
    assert local["backend"] == "local" and local["python"] == LocalSandbox.fingerprint()["python"]
    assert os.path.realpath(local["python"].split()[0]) == local["python"].split()[0]
    assert ProcessSandbox.fingerprint() == {} and "python" not in environment("process")


@pytest.mark.skipif(os.geteuid() != 0, reason="taking another uid needs root")
def test_kill_uid_with_no_process_left_is_no_error() -> None:
    """A scenario's usual end: its uid has no process left. In a PID namespace holding nothing else
    (a container's), kill(-1) then finds no process at all and fails with ESRCH: nothing to do."""
    python = sandbox_python()
    assert python
    uid = next(u for u in reversed(SCENARIO_UIDS) if u not in uids_with_processes())
    code = f"from grader.sandbox.lifecycle import kill_uid; kill_uid({uid}, {python!r}); print('done')"
    done = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", code],
                          capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "done\n"), done.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="taking another uid needs root")
def test_a_uid_busy_in_another_container_is_not_a_scenarios() -> None:
    """The process backend's scenario uids are the same numbers in every container, and the kernel
    counts a uid's processes against RLIMIT_NPROC across containers (per user namespace): a uid
    with a process that this grader's /proc does not show (another PID namespace, as another
    container's) is busy; a uid with none is free."""
    uid, free = itertools.islice((u for u in reversed(SCENARIO_UIDS) if not owns_processes(u)), 2)
    holder = subprocess.Popen(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", sys.executable, "-c",
                               "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        code = ("from grader.sandbox.process import owns_processes; "
                "from tests.integration.test_lifecycle import uids_with_processes; "
                f"print({uid} in uids_with_processes(), owns_processes({uid}), owns_processes({free}))")
        done = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", code],
                              capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    finally:
        holder.communicate(b"")
    assert (done.returncode, done.stdout.split()) == (0, ["False", "True", "False"]), done.stderr
