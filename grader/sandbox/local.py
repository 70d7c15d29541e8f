"""The local backend: Linux namespaces made by the driver server, no daemon needed.

Theory of operation. Each scenario gets new network, PID, mount, IPC and UTS namespaces, as
`unshare --net --pid --mount --ipc --uts --fork --kill-child --mount-proc` would make them: the
driver is PID 1 of a new PID namespace with only a loopback interface, a private mount table,
its own SysV IPC and message queues and its own host name, where it builds the student's chroot
(grader/driver/jail.py).
  * As root, student processes run as SANDBOX_UID in a fresh pids cgroup (v1 or v2), which is
    the fork limit: RLIMIT_NPROC counts every process of a uid on the whole machine
    (docs/kernel.md, "Limits and teardown"), so parallel sandboxes would starve each other. Memory and CPU
    cgroups (where the controllers exist) cap the sandbox's memory and hold it to one CPU; the
    driver reads their counters (oom_kill, pids max) to say which limit ended a program.
  * As a normal user, a user namespace mapping the user to root comes with them (`unshare --user
    --map-root-user`); student processes stay the namespace's only uid but get no capabilities,
    and RLIMIT_NPROC is counted per user namespace there, so it is a sound fork limit.
The driver runs from a copy made when the backend opens (base.copy_driver), never from the
checkout, which may be edited while a class is graded.
Start-up: one driver server per backend (grader/driver/zygote.py; its host end, `Zygote`, in zygote.py) imports the
driver once and forks each scenario's driver into its new namespaces: ~2 ms of CPU where an
interpreter's start and the driver's imports cost ~30 ms (bench/RESULTS.md). The next scenario's
driver is also forked while the current scenario runs (a spare, waiting for its plan on stdin);
each scenario still gets namespaces and a driver process of its own, and the spares left at the
end are killed by close(). Scenarios may run side by side, one per thread: each thread has its spare.
A class run lends its backend's driver server to each submission's pytest run (lend(): a channel of
the run's own, SHARED_FD, and SHARED_ENV naming the interpreter and the driver's copy), which then
starts no server of its own: a server's start (an interpreter importing the driver, ~0.1 s of CPU,
bench/RESULTS.md) is paid once per class. When a run's channel closes, the server kills what it
still runs for it.
Network namespaces: as root, each scenario's is made inside one network namespace of the run's
own (the keeper joins it with `setns`, then makes its own), where `net.ipv4.tcp_child_ehash_entries` gives every
namespace made there a TCP hash table of its own with CHILD_EHASH buckets. Made from the host's,
a namespace shares the host's table (hundreds of thousands of buckets), which every sock_diag
dump of the driver walks whole: ~3 ms of CPU a dump, ~0.15 ms in a table of its own
(docs/kernel.md, "Sockets, seen through sock_diag").
Teardown: the driver's exit ends the PID namespace, and the kernel kills everything in it,
double-forked daemons included. Each driver has a keeper in the host's PID namespace, whose
death kills it (its parent-death signal, as `--kill-child`): the grader ends a sandbox by killing
the keeper through a pidfd. If the grader dies, the driver server dies with the thread that
started it (`setpriv --pdeathsig`; a thread of the backend's own, alive until close(): the
grader has threads, and a parent-death signal follows the thread), the keepers with it, and the
namespaces with them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from ..assignment.model import Limits
from ..errors import SandboxError
from ..i18n import _
from .base import RUN_ENV, SHARED_ENV, SHARED_FD, DriverProcess, copy_driver
from .lifecycle import CGROUPS, remove_cgroups, sweep_cgroups
from .zygote import DriverServer, Spares, Zygote

DEFAULT = Limits()  # a plan carries its limits; these stand in for one that lacks a figure
SANDBOX_UID = 65534  # "nobody": owns no file the sandbox can see; it only ever runs inside chroots
DRIVER_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from grader.driver.__main__ import main; main()"
GRADER_PARENT = str(Path(__file__).resolve().parent.parent.parent)
PYTHON_CANDIDATES = ("/usr/bin/python3", "/usr/local/bin/python3", "/usr/bin/python3.13", "/usr/bin/python3.12")


@cache
def sandbox_python() -> str | None:
    """An interpreter (3.11+) that an unprivileged uid can execute, for the driver and the students."""
    env = os.environ.get("LABGRADE_PYTHON")
    for candidate in ([env] if env else []) + [*PYTHON_CANDIDATES, sys.executable]:
        path = shutil.which(candidate)
        if not path:
            continue
        real = os.path.realpath(path)
        if os.geteuid() == 0 and not _world_executable(real):
            continue
        try:
            ok = subprocess.run([real, "-I", "-c", "import sys; sys.exit(sys.version_info < (3, 11))"],
                                capture_output=True, timeout=30).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            ok = False
        if ok:
            return real
    return None


def _world_executable(path: str) -> bool:
    """Can uid 'nobody' run this file? (Every ancestor directory must be searchable by others.)"""
    p = Path(path)
    if os.stat(p).st_mode & 5 != 5:
        return False
    return all(os.stat(d).st_mode & 0o001 for d in p.parents)


def lent_to_me() -> dict[str, Any] | None:
    """The local driver server a class run lent this process (Sandbox.lend), if any."""
    with contextlib.suppress(ValueError, TypeError):
        lent = json.loads(os.environ.get(SHARED_ENV, ""))
        if isinstance(lent, dict) and lent.get("backend") == LocalSandbox.name:
            return lent
    return None


CHILD_EHASH = 1024  # TCP hash buckets of a scenario's network namespace: a scenario has at most a few hundred sockets


def parent_netns() -> int | None:
    """A descriptor of a new network namespace in which the namespaces made have their own TCP
    hash table of CHILD_EHASH buckets (Linux 6.1+), or None where that cannot be made (not root,
    an older kernel: the scenarios' namespaces are then made from the host's, as before). The
    descriptor keeps the namespace alive; no process stays in it."""
    if os.geteuid() != 0:
        return None
    setter = f"echo {CHILD_EHASH} > /proc/sys/net/ipv4/tcp_child_ehash_entries && echo ready && read _"
    try:
        holder = subprocess.Popen(["unshare", "--net", "sh", "-c", setter], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError:
        return None
    assert holder.stdin and holder.stdout
    try:
        if holder.stdout.readline() != b"ready\n":
            return None
        return os.open(f"/proc/{holder.pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        holder.stdin.close()
        holder.stdout.close()
        holder.wait()


# --ipc: SysV IPC objects and POSIX message queues of their own, gone with the sandbox (one student's
# segment is never read by the next, nor left in the host's memory); --uts: a host name of their own
# (the driver names it SANDBOX_HOSTNAME)
NAMESPACES = ["--net", "--pid", "--mount", "--ipc", "--uts", "--fork", "--kill-child", "--mount-proc"]
USER_NAMESPACE = ["--user", "--map-root-user"]  # without root: the namespaces above belong to a user namespace


@cache
def namespaces_refused() -> str | None:
    """Why the sandbox's namespaces cannot be made here (None: they can), tried as the driver's are:
    a container without CAP_SYS_ADMIN (Docker's defaults: Gradescope, CI runners) refuses them even
    to root, and a kernel may refuse unprivileged user namespaces."""
    cmd = ["unshare", *([] if os.geteuid() == 0 else USER_NAMESPACE), *NAMESPACES, "true"]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"{' '.join(cmd)}: {e}"
    return None if done.returncode == 0 else done.stderr.strip() or f"unshare exited {done.returncode}"


class Cgroup:
    """A pids (and memory, and CPU) cgroup for one sandbox, v1 or v2, removed on close()."""

    V1 = CGROUPS
    CPU_PERIOD = 100_000  # µs, the kernel's default period
    CPUS = 1.0  # CPU quota of a sandbox's student processes, as a docker container's by default: a
    # spinning fork bomb must not take every core from the submissions graded beside it

    def __init__(self, pids_max: int, memory_mb: int, socket_mb: int = DEFAULT.socket_mb, cpus: float = CPUS) -> None:
        self.dirs: list[Path] = []
        # labgrade-<run>-<id>: the run (a `grade` command and its pytest processes) is in the name,
        # so that what a run left behind can be found (tests/integration/test_hostile.py)
        name = "-".join(filter(None, ("labgrade", os.environ.get(RUN_ENV, "")[:12], uuid.uuid4().hex[:12])))
        if (self.V1 / "pids" / "cgroup.procs").exists():  # v1: one hierarchy per controller
            self._make(self.V1 / "pids" / name, {"pids.max": pids_max})
            if (self.V1 / "memory" / "cgroup.procs").exists():
                # v1 charges socket buffers to a cgroup only once kmem.tcp has a limit (set before any
                # socket exists); v2 charges them to memory.max anyway. Without it, a few hundred unread
                # loopback connections hold GBs of the host's TCP memory (net.ipv4.tcp_mem is machine-wide)
                tcp = self.V1 / "memory" / "memory.kmem.tcp.limit_in_bytes"
                self._make(self.V1 / "memory" / name, {"memory.limit_in_bytes": memory_mb << 20,
                                                       **({tcp.name: socket_mb << 20} if tcp.exists() else {})})
            if (self.V1 / "cpu" / "cgroup.procs").exists():
                self._make(self.V1 / "cpu" / name, {"cpu.cfs_period_us": self.CPU_PERIOD,
                                                    "cpu.cfs_quota_us": int(cpus * self.CPU_PERIOD)})
        elif "pids" in (available := (self.V1 / "cgroup.controllers").read_text().split()):  # v2, unified
            control = self.V1 / "cgroup.subtree_control"
            for controller in ("pids", "memory", "cpu"):
                if controller in available and controller not in control.read_text().split():
                    with contextlib.suppress(OSError):  # pids is checked below; the others are a bonus
                        control.write_text(f"+{controller}")
            enabled = control.read_text().split()
            settings: dict[str, int | str] = {"pids.max": pids_max}
            if "memory" in enabled:
                settings["memory.max"] = memory_mb << 20
            if "cpu" in enabled:
                settings["cpu.max"] = f"{int(cpus * self.CPU_PERIOD)} {self.CPU_PERIOD}"
            self._make(self.V1 / name, settings)
        else:
            raise SandboxError(_("no pids cgroup controller on this machine (/sys/fs/cgroup): it limits forks"))

    @classmethod
    def for_limits(cls, limits: dict[str, Any], cpus: float = CPUS) -> Cgroup:
        """The cgroup of a plan's `limits`, which it updates: its `processes` become the pids
        cgroup's max_processes (the fork limit, not RLIMIT_NPROC)."""
        limits["max_processes"] = int(limits.pop("processes", DEFAULT.processes))
        return cls(limits["max_processes"], int(limits.get("memory_mb", DEFAULT.memory_mb)),
                   int(limits.get("socket_mb", DEFAULT.socket_mb)), cpus)

    def _make(self, path: Path, settings: dict[str, int | str]) -> None:
        path.mkdir()
        self.dirs.append(path)
        for key, value in settings.items():
            (path / key).write_text(str(value))

    @property
    def procs(self) -> list[str]:
        return [str(d / "cgroup.procs") for d in self.dirs]

    def close(self) -> None:
        """Kill what is left in the cgroups, wait until each of those processes has exited (a
        pidfd turns readable then, and its task has left the cgroup), and remove them."""
        remove_cgroups(self.dirs)


class LocalSandbox:
    name = "local"
    one_at_a_time = False
    caveat: str | None = None

    @classmethod
    def unavailable(cls) -> str | None:
        if lent_to_me() is not None:
            return None  # the class run that lent its driver server found the backend available
        if not sys.platform.startswith("linux"):
            return _("needs Linux namespaces; use --backend docker")
        try:
            os.close(os.pidfd_open(os.getpid()))
        except OSError as e:
            return _("needs Linux 5.3 or later (pidfd_open: {error}); use --backend docker").format(error=e.strerror)
        if not shutil.which("unshare") or not shutil.which("setpriv"):
            return _("the `unshare` and `setpriv` commands (util-linux) are missing: apt-get install util-linux")
        if sandbox_python() is None:
            return _("no Python 3.11+ that an unprivileged user can run was found (tried {pythons}); install python3 "
                     "or set LABGRADE_PYTHON").format(pythons=", ".join(PYTHON_CANDIDATES))
        refused = namespaces_refused()
        if refused and os.geteuid() != 0:
            return _("not root, and unprivileged user namespaces are refused ({refused}: sysctl "
                     "kernel.unprivileged_userns_clone=1 or user.max_user_namespaces > 0, or an AppArmor "
                     "restriction), so no sandbox can be made; run as root or use --backend docker").format(
                refused=refused)
        if refused:
            return _("Linux namespaces cannot be made here, even as root ({refused}): a container "
                     "without CAP_SYS_ADMIN (Docker's defaults, as on Gradescope or a CI runner) refuses them; "
                     "use --backend docker where an engine is reachable, or --backend process, which isolates "
                     "less (README: Sandbox backends)").format(refused=refused)
        return None

    @classmethod
    def fingerprint(cls) -> dict[str, str]:
        python = os.path.realpath(sandbox_python() or "")
        st = os.stat(python)
        return {"python": f"{python} {st.st_size} {st.st_mtime_ns}"}

    @classmethod
    def sweep(cls, within: float) -> None:
        sweep_cgroups(os.environ.get(RUN_ENV, "")[:12], within)

    def __init__(self) -> None:
        self.root = os.geteuid() == 0
        self.workdir = Path(tempfile.mkdtemp(prefix="labgrade-local-"))
        self.zygote: Zygote | None = None
        self.netns: int | None = None
        if (lent := lent_to_me()) is not None:  # a class run's driver server, on a channel of this run's own
            os.environ.pop(SHARED_ENV)  # not passed on
            self.python, self.lib = lent["python"], Path(lent["lib"])
            self.server = DriverServer(socket.socket(fileno=int(lent["fd"])), "local sandbox's driver server")
        else:
            self.python = sandbox_python() or sys.executable
            self.lib = copy_driver(self.workdir / "lib")  # not the live checkout, which may change meanwhile
            self.netns = parent_netns()  # where each scenario's network namespace is made (None: the host's)
            self.zygote = Zygote(self.python, self.lib, self.netns)
            self.server = self.zygote.server
        self.spares = Spares(self.server.fork)
        os.environ.setdefault(RUN_ENV, uuid.uuid4().hex[:12])  # inherited by the pytest processes `grade` starts

    def start(self, plan: dict[str, Any]) -> DriverProcess:
        limits = dict(plan.get("limits", {}))
        jail_root = Path(tempfile.mkdtemp(dir=self.workdir))
        cgroup: Cgroup | None = None
        cleanups: list[Callable[[], None]] = [lambda: jail_root.rmdir()]
        try:
            if self.root:
                cgroup = Cgroup.for_limits(limits)
                cleanups.append(cgroup.close)
                student = {**plan["student"], "uid": SANDBOX_UID, "gid": SANDBOX_UID}
            else:
                student = {**plan["student"], "uid": None, "gid": None}
            plan = {**plan, "limits": limits, "student": {**student, "python": self.python},
                    "reference": {**plan["reference"], "python": self.python},
                    "jail": {"root": str(jail_root)}, "cgroups": cgroup.procs if cgroup else []}
            driver = self.spares.take()
        except BaseException:
            for c in reversed(cleanups):
                c()
            raise
        return DriverProcess(driver, plan, cleanup=lambda: [c() for c in reversed(cleanups)])

    def expect(self, starts: int) -> None:
        self.spares.expect(starts)

    def lend(self) -> tuple[str, socket.socket] | None:
        """The driver server, to a pytest run of the class: its start (an interpreter importing the
        driver, ~0.1 s of CPU) is paid once per class, not per submission."""
        if self.zygote is None:
            return None
        return (json.dumps({"backend": self.name, "python": self.python, "lib": str(self.lib), "fd": SHARED_FD}),
                self.server.channel())

    def run(self, plan: dict[str, Any]) -> dict[str, Any]:
        return self.start(plan).finish()

    def close(self) -> None:
        self.spares.close()
        if self.zygote is not None:
            self.zygote.close()
        else:  # lent: the server kills what it still runs for this channel, and serves the others
            self.server.sock.close()
        if self.netns is not None:
            os.close(self.netns)
            self.netns = None
        shutil.rmtree(self.workdir, ignore_errors=True)
