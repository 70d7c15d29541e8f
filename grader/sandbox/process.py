"""The process backend: for running inside someone else's container, where no namespace can be made.

Autograding platforms (Gradescope) and CI runners run the grader in a container they started with
Docker's defaults: root inside, but no CAP_SYS_ADMIN, so no namespace, no mount, no cgroup, and
no CAP_SYS_PTRACE. What such a container still allows (docs/kernel.md, "Inside someone else's container"):
  * Each scenario's student programs run under a uid of their own (SCENARIO_UIDS, one per
    scenario in turn), from a copy of the submission owned by that uid, in a folder only it can
    enter; its HOME and TMPDIR are there too. The driver, the references (copied here) and the
    backend's files are root's only (mode 0700).
  * Before exec, each program gets the rlimits (RLIMIT_NPROC counts the processes of its uid: a
    sound fork limit, since the uid is the scenario's own), no capabilities, no_new_privs and the
    seccomp filter of jail.py (key management, ptrace, namespaces, mounts, BPF...).
  * The driver is a child subreaper: a program that double-forks stays its descendant, so the
    sandbox is the driver's descendants (probes.SCOPE); it reads another uid's /proc files with
    that uid as its file-system uid, since it lacks CAP_SYS_PTRACE.
  * Teardown: every process of the scenario's uid is killed at once (by the driver, jail.kill_uid,
    then again here, lifecycle.kill_uid), then the files it left in the shared temporary folders,
    and its SysV IPC objects, are removed.
What it cannot isolate: the network (the container's own, shared with the grader: a program can
reach whatever the container reaches, and the listen-queue counters are shared, so scenarios run
one at a time: ONE_AT_A_TIME), the host name, the machine's TCP memory, /proc (other processes are
visible), and files that the container leaves readable by every user. CAVEAT says it in the run's
log; README "Sandbox backends" says it for instructors.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from ..driver.jail import DENIED_CALLS
from ..i18n import N_, _
from .base import DriverProcess, PopenTransport, copy_driver
from .lifecycle import kill_uid
from .local import DRIVER_BOOT, sandbox_python

# No memory cgroup: RLIMIT_AS (virtual, per process) is the memory limit, at twice memory_mb rather
# than the 8 times of the other backends (grader/run.py); the students' glibc keeps to 2 malloc
# arenas (64 MiB of address space each), so that a threaded program still fits (MALLOC_ARENA_MAX).
ADDRESS_SPACE_FACTOR = 2
SCENARIO_UIDS = range(61000, 62000)  # a uid per scenario, in turn: unused by distributions' packages
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
SHARED_TMP = ("/tmp", "/var/tmp", "/dev/shm", "/dev/mqueue")  # where a program may leave files outside its folder
SYSV_IPC = {"shm": ("shmid", "-m"), "msg": ("msqid", "-q"), "sem": ("semid", "-s")}  # /proc/sysvipc -> ipcrm
CAVEAT = N_("the process sandbox runs each scenario under a uid of its own, with rlimits and a seccomp filter, "
          "but shares this container's network, host name and /proc: scenarios run one at a time, and a "
          "program can reach whatever this container reaches (README: Sandbox backends)")


class ProcessSandbox:
    name = "process"
    one_at_a_time = True  # the network namespace (ports, ListenOverflows) is the container's, shared
    caveat: str | None = CAVEAT

    @classmethod
    def unavailable(cls) -> str | None:
        if not sys.platform.startswith("linux"):
            return _("needs Linux")
        if os.geteuid() != 0:
            return _("needs root (the students' programs run under a uid of their own, one per scenario)")
        if not (shutil.which("setpriv") and shutil.which("prlimit")):
            return _("the `setpriv` and `prlimit` commands (util-linux) are missing: apt-get install util-linux")
        if os.uname().machine not in DENIED_CALLS:
            return _("no seccomp filter for this machine ({machine}): x86_64 or aarch64 only").format(
                machine=os.uname().machine)
        if sandbox_python() is None:
            return _("no Python 3.11+ that an unprivileged user can run was found; install python3 or set "
                     "LABGRADE_PYTHON")
        return None

    @classmethod
    def fingerprint(cls) -> dict[str, str]:
        return {}

    @classmethod
    def sweep(cls, within: float) -> None:
        """Nothing: no cgroup here, and each scenario's uid is cleared at its start (_free_uid)."""

    def __init__(self) -> None:
        self.python = sandbox_python() or sys.executable
        self.workdir = Path(tempfile.mkdtemp(prefix="labgrade-process-", dir=reachable_tmp()))
        self.workdir.chmod(0o711)  # each scenario's uid may pass through, to its own folder; nobody may list it
        self.lib = copy_driver(self.workdir / "lib")
        self.lib.chmod(0o700)
        self.references: dict[str, Path] = {}
        start = random.randrange(len(SCENARIO_UIDS))  # two graders on one kernel: seldom the same uid at once
        self._uids = itertools.cycle(itertools.chain(SCENARIO_UIDS[start:], SCENARIO_UIDS[:start]))
        self._count = itertools.count()
        self._lock = threading.Lock()

    def _reference(self, folder: str) -> str:
        """A root-only copy of a reference solution (the lab's own folder may be readable by all)."""
        with self._lock:
            if folder not in self.references:
                dest = self.workdir / f"reference-{len(self.references)}"
                dest.mkdir(mode=0o700)
                shutil.copytree(folder, dest / "files", symlinks=True)
                self.references[folder] = dest / "files"
            return str(self.references[folder])

    def start(self, plan: dict[str, Any]) -> DriverProcess:
        with self._lock:
            uid, n = self._free_uid(), next(self._count)
        home = self.workdir / f"scenario-{n}"
        home.mkdir(mode=0o700)
        shutil.copytree(plan["student"]["dir"], home / "submission", symlinks=True)
        (home / "tmp").mkdir()
        for path in (home, *home.rglob("*")):
            os.lchown(path, uid, uid)
        limits = {k: v for k, v in plan.get("limits", {}).items() if k != "socket_mb"}  # no cgroup to hold it
        if "memory_mb" in limits:  # RLIMIT_AS is the only memory limit here: closer to memory_mb
            limits["address_space_mb"] = limits["memory_mb"] * ADDRESS_SPACE_FACTOR
        plan = {**plan, "isolation": "process", "limits": limits,  # the driver picks free ports (ports.py)
                "student": {**plan["student"], "dir": str(home / "submission"), "tmp": str(home / "tmp"),
                            "uid": uid, "gid": uid, "python": self.python},
                "reference": {**plan["reference"], "dir": self._reference(plan["reference"]["dir"]),
                              "python": self.python}}
        popen = subprocess.Popen(["setpriv", "--pdeathsig", "KILL", self.python, "-I", "-c", DRIVER_BOOT,
                                  str(self.lib)],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 env={"PATH": SYSTEM_PATH})

        def cleanup() -> None:
            kill_uid(uid, self.python)  # the driver does it too, unless it was killed first
            remove_files_of(uid)
            remove_ipc_of(uid)
            shutil.rmtree(home, ignore_errors=True)

        return DriverProcess(PopenTransport(popen), plan, cleanup=cleanup)

    def _free_uid(self) -> int:
        """The next scenario uid that owns no process (a zombie counts against RLIMIT_NPROC: another
        grader in this container, or one killed before its cleanup, may have left some), in this
        container or in any other on this kernel (`owns_processes`)."""
        for uid in itertools.islice(self._uids, len(SCENARIO_UIDS)):
            if not owns_processes(uid):
                return uid
        raise OSError(f"every scenario uid ({SCENARIO_UIDS.start}-{SCENARIO_UIDS.stop - 1}) owns processes")

    def run(self, plan: dict[str, Any]) -> dict[str, Any]:
        return self.start(plan).finish()

    def expect(self, starts: int) -> None:
        """Nothing is made ahead here."""

    def lend(self) -> tuple[str, socket.socket] | None:
        return None

    def close(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def reachable_tmp() -> str:
    """Where the workdir goes: the temporary folder, unless a folder above it is closed to other
    users (pytest's, a private TMPDIR), since each scenario's uid must pass through to its own."""
    for top in (tempfile.gettempdir(), *SHARED_TMP):
        path = Path(top).resolve()
        if all(p.stat().st_mode & 0o001 for p in (path, *path.parents)):
            return str(path)
    raise OSError(f"no temporary folder that other users may pass through ({', '.join(SHARED_TMP)} are closed)")


def owns_processes(uid: int) -> bool:
    """Whether `uid` has a process anywhere the kernel counts it against RLIMIT_NPROC: per user
    namespace, not per container, so another container's grader on this kernel, whose scenario
    uids are the same numbers, shares a scenario's process budget. A process of `uid` whose
    RLIMIT_NPROC is 2 can fork only if it and its child are the uid's only ones (zombies count)."""
    probe = subprocess.run(["prlimit", "--nproc=2", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                            "/bin/sh", "-c", "true & wait $!"], capture_output=True,
                           env={"PATH": SYSTEM_PATH, "LC_ALL": "C"})
    said = probe.stderr.decode(errors="replace").strip()
    if probe.returncode == 0:
        return False
    if "Cannot fork" in said or "Resource temporarily unavailable" in said:  # sh's fork, or setpriv's exec
        return True
    raise OSError(f"cannot run a process as uid {uid} (prlimit, setpriv, /bin/sh): {said or probe.returncode}")


def remove_files_of(uid: int) -> None:
    """What a scenario's uid left in the shared temporary folders (its own folder goes whole)."""
    for top in SHARED_TMP:
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for entry in entries:
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)


def ipc_objects_of(uid: int, kind: str, table: str) -> list[str]:
    """The ids of `uid`'s SysV IPC objects in a /proc/sysvipc table (its text)."""
    lines = table.splitlines()
    if not lines:
        return []
    columns = lines[0].split()
    at_id, at_uid = columns.index(SYSV_IPC[kind][0]), columns.index("uid")
    rows = [line.split() for line in lines[1:]]
    return [row[at_id] for row in rows if len(row) > at_uid and row[at_uid] == str(uid)]


def remove_ipc_of(uid: int) -> None:
    """SysV shared memory, message queues and semaphores a scenario's uid left: there is no IPC
    namespace here to take them away. Removed as their owner: root without CAP_SYS_ADMIN (a
    container's) may not remove another uid's."""
    args = []
    for kind, (_listing, flag) in SYSV_IPC.items():
        with contextlib.suppress(OSError):
            for ident in ipc_objects_of(uid, kind, Path(f"/proc/sysvipc/{kind}").read_text()):
                args += [flag, ident]
    if args:
        subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "ipcrm", *args],
                       stdin=subprocess.DEVNULL, capture_output=True)
