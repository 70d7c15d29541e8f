"""The docker backend: the scenarios of a class in one warm container, or one container each.

Theory of operation. Where the grader may make cgroups (root on the engine's host), one container
of the grading image (see the top-level Dockerfile and grader/image.py) serves all the scenarios
of a backend (WarmContainer): of a class, when `grade` opens it and lends it to each submission's
pytest run (Sandbox.lend: a channel of its own to the container's driver server, passed as
SHARED_FD, and SHARED_ENV naming the rest), or of one pytest run opened alone. Its PID 1 is a
driver server, the local backend's (grader/driver/zygote.py), run as root from a private copy of
the host's driver code (base.copy_driver); it forks each scenario's driver into new network,
PID, mount, IPC and UTS namespaces, where the driver builds the student's root (jail.build_root,
at /mnt in its own mount namespace) as the local backend's does. Each scenario's students go into a pids, memory and
CPU cgroup of their own, made by the host as the local backend's are (the container sees the
host's cgroups); so a scenario gets exactly what the local backend gives it, inside a container:
  * Network: `network_mode="none"`: the container has only loopback, and each scenario a
    network namespace of its own, with a TCP hash table of its own (zygote._own_tcp_table).
  * Files: read-only root filesystem; the backend's folder (the driver code, a copy of each
    reference and of the submission, the server's socket) is mounted read-only at /grader/work,
    mode 0700: students, in their own root, see the submission and a scratch /tmp only.
  * Privileges: no-new-privileges; all capabilities dropped but WARM_CAPS: the drivers' (below)
    and SYS_ADMIN and SYS_CHROOT, with which a driver makes its namespaces, mounts and the
    students' root. Students get none (jail.student_preexec: empty bounding set, uid 65534,
    no_new_privs, a seccomp filter), so SYS_ADMIN is the drivers' only. Where AppArmor confines
    containers, its docker-default profile forbids every mount: the warm container runs
    unconfined by it (the students are held by the above). The container sees the host's cgroup
    tree (cgroupns host), since a process may only be moved to a cgroup inside its cgroup
    namespace.
  * Start and end: the host listens on a Unix socket in the backend's folder, the server connects
    and is checked once (it makes a scenario's namespaces, a tmpfs, and moves a process into a
    cgroup: DriverServer.check), then the host talks to it as to the local backend's: pipes and
    pidfds (which work across PID namespaces) go through the socket. A scenario ends when the
    host kills its keeper through a pidfd, and its students' cgroup is emptied and removed
    (Cgroup.close). When a pytest run's channel closes (its end, or its death), the server kills
    the keepers it forked for it. When the owner closes its socket (close(), or the grader's
    death) the server exits; it is the container's PID 1, so the kernel ends every process of
    the container, and auto_remove removes it.
Elsewhere (a normal user in the `docker` group, a check that fails: DockerSandbox.caveat says
why in the run's log), each scenario gets a fresh container whose PID 1 is the driver. The plan
goes in on the container's stdin and the outcome comes back on its stdout, both through one attach
socket (DockerTransport, which demultiplexes Docker's stdout/stderr frames); the container is
created and attached before it starts, so no byte is lost.
  * Network: `network_mode="none"`, i.e. a network namespace with only loopback; a private IPC
    namespace (`ipc_mode="private"`) and the host name SANDBOX_HOSTNAME.
  * Files: read-only root filesystem; a size-capped tmpfs /tmp (plan scratch_mb, mode 1777) is the
    only writable place; the staged submission is bind-mounted read-only at /submission; the
    reference and the driver code are mounted read-only under /grader, which is mode 0700 in the
    image, so the student's uid can reach neither.
  * Privileges: no-new-privileges; all capabilities dropped but the few the driver needs
    (DRIVER_CAPS: switch uid, empty the bounding set, kill, read another uid's /proc/PID/fd and
    /proc/PID/syscall — docs/kernel.md, "Processes"; that takes DAC_READ_SEARCH as well as
    SYS_PTRACE —, bring `lo` up). Student processes get none:
    jail.student_preexec empties their bounding set and drops them to uid 65534.
  * Limits: the container's pids cgroup (pids_limit) is the fork limit and its memory cgroup
    (mem_limit) the memory limit. They cover the whole container, so both add a reserve for the
    driver and the reference peers to the assignment's figures; RLIMIT_NPROC is not used
    (it counts a uid's processes machine-wide: docs/kernel.md, "Limits and teardown"). A CPU quota (nano_cpus,
    LABGRADE_DOCKER_CPUS, default 1 CPU) keeps one runaway submission from starving the others.
Deadlines and teardown: the host kills and removes the container when the driver overruns its
deadline (DriverProcess), and the driver itself exits on SIGALRM a little later if the host is
gone, which ends the PID namespace. Each container is force-removed right after its scenario and
is also created with auto_remove, so even a container whose grader was SIGKILLed disappears once
the driver's alarm ends it. Every container carries labels (labgrade=1; labgrade.run, shared by
a `grade` command and the pytest processes it starts; labgrade.owner, the grader process;
labgrade.sandbox, the backend instance), and the backend removes by label: its own containers
on close() and at exit (atexit, with Ctrl-C deferred during the removal), and at start the
containers of owners that are no longer alive on this host.
Cost: a container per scenario is simple and leaves nothing shared between scenarios, but costs
a few hundred ms (create, attach, start, remove) where the local backend needs ~20 ms; the warm
container costs that once per class (bench/RESULTS.md).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import json
import math
import os
import select
import shutil
import signal
import socket
import struct
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..driver.jail import HOSTNAME as SANDBOX_HOSTNAME
from ..errors import SandboxError
from ..i18n import _
from ..image import DOCKER_API, IMAGE, NO_ACCESS, NO_ENGINE, unix_socket_problem
from .base import GRACE, RUN_ENV, SHARED_ENV, SHARED_FD, DriverProcess, StartsAhead, copy_driver
from .local import CHILD_EHASH, ZYGOTE_BOOT, Cgroup, DriverServer, Spares

SANDBOX_UID = 65534
CONTAINER_PYTHON = "/usr/local/bin/python3"  # the Dockerfile makes sure it exists on every base
SUBMISSION_MOUNT = "/submission"
CODE_MOUNT = "/grader/lib"  # a copy of the driver (base.copy_driver) is mounted at /grader/lib/grader
REFERENCE_MOUNT = "/grader/reference"
# SETUID/SETGID: drop the student to SANDBOX_UID; SETPCAP: empty the student's bounding set;
# KILL: signal the student's processes; SYS_PTRACE and DAC_READ_SEARCH: read their /proc/PID/fd
# and /proc/PID/syscall (mode 0500/0400, owned by the student's uid: both checks apply);
# NET_ADMIN: `lo` up (it only reaches the container's own loopback-only network namespace).
DRIVER_CAPS = ["SETUID", "SETGID", "SETPCAP", "KILL", "SYS_PTRACE", "DAC_READ_SEARCH", "NET_ADMIN"]
PIDS_RESERVE = 32  # processes and threads of the driver and the reference peers in the container
MEMORY_RESERVE_MB = 128  # the driver and the reference peers share the container's memory cgroup
ALARM_SLACK = 10  # the driver's own alarm fires this long after the host's deadline
SPARES = 2  # containers started ahead: a container's start takes longer than a correct scenario
LABEL, RUN_LABEL, OWNER_LABEL, BOX_LABEL = "labgrade", "labgrade.run", "labgrade.owner", "labgrade.sandbox"
DRIVER_BOOT = ("import os, signal, sys; signal.signal(signal.SIGALRM, lambda *_: os._exit(124)); "
               "signal.alarm(int(sys.argv[2])); sys.path.insert(0, sys.argv[1]); "
               "from grader.driver.__main__ import main; main()")
STDOUT, STDERR = 1, 2
CONTAINER_CGROUP_DIRS = ("/sys/fs/cgroup/memory", "/sys/fs/cgroup/pids", "/sys/fs/cgroup")  # the container's own
# The warm container (WarmContainer): the driver server inside makes each scenario's namespaces, so
# its drivers also need SYS_ADMIN (unshare, mounts) and SYS_CHROOT (the students' root, jail.py);
# the students get no capability, as everywhere (jail.student_preexec)
WARM_CAPS = [*DRIVER_CAPS, "SYS_ADMIN", "SYS_CHROOT"]
WORK_MOUNT = "/grader/work"  # the backend's folder: the driver code, the references, the submissions, the socket
CGROUP_MOUNT = "/grader/cgroup"  # the host's cgroups (where the host makes each scenario's students' own)
JAIL_ROOT = "/mnt"  # an empty folder of the image: each driver mounts its students' root there (own mount namespace)
WARM_PIDS = 1024  # the drivers and reference peers of the scenarios side by side (their students: their own cgroups)
WARM_MEMORY_MB = 2048  # the same, for memory
CONNECT_WITHIN = 60.0  # seconds for the warm container's driver server to connect, on a loaded engine


def limit_socket_memory(api: Any, cid: str, limit: int) -> None:
    """Charge the container's socket buffers to it, up to `limit` bytes, on a cgroup v1 host: the
    engine records KernelMemoryTCP but runc no longer applies it, so the grader, root on the
    engine's host, writes memory.kmem.tcp.limit_in_bytes of the container's memory cgroup itself,
    right after the start, while only the driver runs there and no TCP socket exists yet (the limit
    applies to the sockets made after it). On cgroup v2 sockets count in mem_limit already;
    elsewhere (a remote engine, not root) it cannot be done and the container keeps the engine's."""
    if not limit:
        return
    with contextlib.suppress(OSError, KeyError, ValueError, _docker().errors.DockerException):
        pid = int(api.inspect_container(cid)["State"]["Pid"])
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(","):
                Path(f"/sys/fs/cgroup/memory{path}/memory.kmem.tcp.limit_in_bytes").write_text(str(limit))


def _docker() -> Any:
    import docker  # type: ignore[import-untyped]  # imported late: the local backend works without it

    return docker


def _cpus() -> float:
    try:
        return max(0.1, float(os.environ.get("LABGRADE_DOCKER_CPUS", "1")))
    except ValueError:
        return 1.0


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return "?"


def _start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner_id(pid: int | None = None) -> str:
    """This process, as `host/boot/pid/start-time` (a pid alone may be reused)."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}/{_boot_id()}/{pid}/{_start_time(pid)}"


def owner_is_gone(owner: str) -> bool:
    """True when the grader process that labelled a container has ended (on this host)."""
    parts = owner.rsplit("/", 3)
    if len(parts) != 4 or not parts[2].isdigit():
        return False
    host, boot, pid, start = parts
    if host != socket.gethostname():
        return False  # another machine's grader on a shared engine: not ours to judge
    return boot != _boot_id() or _start_time(int(pid)) != start


@contextlib.contextmanager
def sigint_deferred() -> Iterator[None]:
    """Let a removal finish before a Ctrl-C takes effect (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is None:
        yield  # (None: a handler not set from Python, which cannot be put back)
        return
    pending: list[int] = []
    old = signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
        if pending:
            if callable(old):
                old(signal.SIGINT, None)
            elif old != signal.SIG_IGN:
                raise KeyboardInterrupt


def _remove(api: Any, cid: str) -> None:
    """Kill and remove a container; one that is gone or already being removed is fine."""
    docker = _docker()
    with sigint_deferred():
        try:
            api.remove_container(cid, force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as e:
            if e.status_code != 409:  # 409: auto_remove is already removing it
                raise SandboxError(_("cannot remove container {id}: {error}").format(id=cid[:12], error=e)) from e


def cleanup_by_label(api: Any, *, sandbox: str | None = None, stale: bool = False) -> int:
    """Remove labgrade containers (and volumes) made by the backend instance `sandbox`, or, with
    `stale`, those whose owner process has ended on this host. Returns how many containers went."""
    removed = 0
    filters = {"label": [f"{BOX_LABEL}={sandbox}"] if sandbox else [LABEL]}
    for c in api.containers(all=True, filters=filters):
        labels = c.get("Labels") or {}
        if stale and not owner_is_gone(labels.get(OWNER_LABEL, "")):
            continue
        _remove(api, c["Id"])
        removed += 1
    for v in (api.volumes(filters=filters) or {}).get("Volumes") or []:
        if stale and not owner_is_gone((v.get("Labels") or {}).get(OWNER_LABEL, "")):
            continue
        with contextlib.suppress(_docker().errors.APIError):
            api.remove_volume(v["Name"], force=True)
    return removed


def sweep_stale() -> None:
    """Remove what graders that ended without their cleanup left (as each backend does at its start)."""
    client = _docker().from_env(version=DOCKER_API, timeout=30)
    try:
        cleanup_by_label(client.api, stale=True)
    finally:
        client.close()


def raw_socket(attached: Any) -> socket.socket:
    """The socket under what APIClient.attach_socket returns (a SocketIO for a unix socket)."""
    sock = getattr(attached, "_sock", attached)
    if not isinstance(sock, socket.socket):
        raise SandboxError(_("the docker backend cannot attach over this connection ({kind}); use a local engine "
                             "(unix socket) or --backend local").format(kind=type(attached).__name__))
    return sock


class DockerTransport:
    """A driver in a container: stdin/stdout/stderr over the attach socket (Docker's 8-byte frames)."""

    def __init__(self, api: Any, cid: str, attached: Any,
                 remove_later: Callable[[str], None] | None = None) -> None:
        self.api, self.cid, self.attached = api, cid, attached
        self.remove_later = remove_later  # removal off the scenario's critical path (bench/RESULTS.md)
        self.sock = raw_socket(attached)
        self._frames = b""
        self._stderr = bytearray()
        self._ended = False
        self._removed = False
        self._done = False  # the driver has answered: its container may be removed in the background

    def write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):  # the driver ended: the outcome (or its absence) says why
            self.sock.sendall(data)

    def fileno(self) -> int:
        return self.sock.fileno()

    def read(self) -> bytes | None:
        try:
            chunk = self.sock.recv(65536)
        except OSError:
            chunk = b""
        if not chunk:
            self._ended = True
            return None
        self._frames += chunk
        out = bytearray()
        while len(self._frames) >= 8:
            kind, size = struct.unpack(">BxxxL", self._frames[:8])
            if len(self._frames) < 8 + size:
                break
            payload, self._frames = self._frames[8:8 + size], self._frames[8 + size:]
            if kind == STDOUT:
                out += payload
            elif kind == STDERR:
                self._stderr += payload
                del self._stderr[:-65536]
        return bytes(out)

    def wait(self, timeout: float) -> None:
        """Wait for the end of the stream: the driver, the container's PID 1, has exited. That is
        also the end of every process in it (its pid namespace goes with it), so nothing of the
        scenario survives this wait. After it, with `remove_later`, the container's removal (20-45
        ms in dockerd) goes to the background; any other kill (a deadline) removes it at once."""
        deadline = time.monotonic() + timeout
        while not self._ended and (left := deadline - time.monotonic()) > 0:
            if select.select([self.sock], [], [], left)[0]:
                self.read()
        if not self._ended:
            self.kill()
        self._done = True

    def exit_status(self) -> int | None:
        try:
            return int(self.api.wait(self.cid, timeout=5)["StatusCode"])
        except Exception:  # auto_remove may have removed it already: the status is then unknown
            return None

    def stderr_tail(self) -> str:
        return self._stderr.decode(errors="replace")[-3000:]

    def interrupt(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # the reader's end of stream: its kill() removes the container

    def kill(self) -> None:
        if not self._removed:
            self._removed = True
            try:
                if self.remove_later is not None and self._done:
                    self.remove_later(self.cid)  # close() waits for it
                else:
                    _remove(self.api, self.cid)
            finally:
                with contextlib.suppress(OSError):
                    self.attached.close()
                with contextlib.suppress(OSError):
                    self.sock.close()


def warm_problem(e: BaseException) -> str:
    """Why no warm container could be made, in words (the usual cause first)."""
    if isinstance(e, PermissionError) and "cgroup" in str(e):
        return _("the students' cgroups cannot be made by this user ({error}): run as root").format(error=e)
    return str(e)


def apparmor_on() -> bool:
    """Whether this host confines containers with AppArmor, whose docker-default profile forbids mounts."""
    try:
        return Path("/sys/module/apparmor/parameters/enabled").read_text().strip() == "Y"
    except OSError:
        return False


class WarmContainer:
    """One container for all the scenarios of a class run (or of a backend opened alone, e.g. a
    submission's pytest run outside `grade`), where a driver server (grader/driver/zygote.py, as
    the local backend's) forks each scenario's driver into new namespaces, and each scenario's
    students go into cgroups of their own, made by the host as the local backend's are, which the
    container sees (the host's /sys/fs/cgroup, at CGROUP_MOUNT): a scenario gets what the local
    backend gives it, at its cost, inside a container (its own filesystem, no network). The host
    listens on a Unix socket in the backend's folder, mounted read-only in the container; the
    server connects to it, and exits when the host closes it, which ends the container (its PID
    1). A class run lends it to each submission's pytest run (lend(), then join()): a channel of
    its own to the server, and a folder of its own in the backend's folder for its copies of the
    submission and reference."""

    def __init__(self, api: Any, work: Path, cid: str, server: DriverServer, owned: bool) -> None:
        self.api, self.work, self.cid, self.server, self.owned = api, work, cid, server, owned

    @classmethod
    def make(cls, box: DockerSandbox) -> WarmContainer:
        api, work = box.api, box.lib
        probe = Cgroup(8, 64)  # first: a user who may not make cgroups makes no container for nothing
        cid: str | None = None
        server: DriverServer | None = None
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            listener.bind(str(work / "driver.sock"))
            listener.listen(1)
            mount = _docker().types.Mount
            mounts = [mount(WORK_MOUNT, str(work), type="bind", read_only=True),
                      mount(CGROUP_MOUNT, str(Cgroup.V1), type="bind", read_only=False)]
            host_config = api.create_host_config(
                mounts=mounts, network_mode="none", ipc_mode="private", read_only=True, auto_remove=True,
                tmpfs={"/tmp": "rw,nosuid,nodev,size=1m,mode=1777"}, shm_size="1m", cgroupns="host",
                pids_limit=WARM_PIDS, mem_limit=f"{WARM_MEMORY_MB}m", memswap_limit=f"{WARM_MEMORY_MB}m",
                security_opt=["no-new-privileges", *(["apparmor=unconfined"] if apparmor_on() else [])],
                cap_drop=["ALL"], cap_add=WARM_CAPS, log_config={"Type": "json-file", "Config": {"max-size": "1m"}})
            cid = api.create_container(
                image=IMAGE, command=[CONTAINER_PYTHON, "-I", "-S", "-c", ZYGOTE_BOOT, WORK_MOUNT, "--connect",
                                      f"{WORK_MOUNT}/driver.sock", str(CHILD_EHASH)],
                user="0:0", working_dir="/", host_config=host_config, hostname=SANDBOX_HOSTNAME,
                labels={LABEL: "1", RUN_LABEL: box.run_id, OWNER_LABEL: box.owner, BOX_LABEL: box.id})["Id"]
            api.start(cid)
            if not select.select([listener], [], [], CONNECT_WITHIN)[0]:
                raise SandboxError(_("its driver server did not connect within {seconds:g} s: {log}").format(
                    seconds=CONNECT_WITHIN, log=container_log(api, cid)))
            server = DriverServer(listener.accept()[0], "docker sandbox's driver server")
            warm = cls(api, work, cid, server, owned=True)
            if why := server.check([warm.inside(p) for p in probe.procs], JAIL_ROOT):
                raise SandboxError(_("a scenario's namespaces cannot be made in it: {why} (its log: {log})").format(
                    why=why, log=container_log(api, cid)))
            return warm
        except BaseException:
            if server is not None:
                server.sock.close()
            if cid:
                _remove(api, cid)
            raise
        finally:
            probe.close()
            listener.close()
            with contextlib.suppress(OSError):
                (work / "driver.sock").unlink()

    def lend(self) -> tuple[str, socket.socket]:
        """What another process needs to join this container: SHARED_ENV's value, and its channel."""
        return json.dumps({"cid": self.cid, "work": str(self.work), "fd": SHARED_FD}), self.server.channel()

    @classmethod
    def join(cls, api: Any, lent: str) -> WarmContainer:
        """The container a class run lent (SHARED_ENV), on the channel it passed as SHARED_FD."""
        shared = json.loads(lent)
        server = DriverServer(socket.socket(fileno=int(shared["fd"])), "docker sandbox's driver server")
        return cls(api, Path(shared["work"]), shared["cid"], server, owned=False)

    def inside(self, path: str | Path) -> str:
        """The container's path of a host path under the backend's folder or the host's cgroups."""
        path = str(path)
        for host, inside in ((self.work, WORK_MOUNT), (Cgroup.V1, CGROUP_MOUNT)):
            if path.startswith(f"{host}/"):
                return inside + path[len(str(host)):]
        raise ValueError(f"{path} is not in the warm container")

    def close(self) -> None:
        """Owned: the server exits, and with it the container (auto_remove); joined: this
        process's channel closes, and the server kills what it still runs for it."""
        self.server.sock.close()
        if self.owned:
            _remove(self.api, self.cid)


def container_log(api: Any, cid: str) -> str:
    with contextlib.suppress(Exception):
        return api.logs(cid).decode(errors="replace").strip()[-2000:] or _("no output")
    return _("no output")


class DockerSandbox:
    """`warm=False`: a container per scenario even where a warm container could be made (tests)."""

    name = "docker"
    one_at_a_time = False
    caveat: str | None = None

    @classmethod
    def unavailable(cls) -> str | None:
        try:
            docker = _docker()
        except ImportError:
            return _("the `docker` Python package is missing: pip install docker")
        if problem := unix_socket_problem():
            if "ermission denied" in problem:
                return _(NO_ACCESS).format(problem=problem)
            return _(NO_ENGINE).format(problem=problem)
        try:
            client = docker.from_env(version=DOCKER_API, timeout=10)
        except docker.errors.DockerException as e:
            return _(NO_ENGINE).format(problem=e)
        try:
            client.ping()
            client.api.inspect_image(IMAGE)
        except docker.errors.ImageNotFound:
            return _("image {image} missing: run `grade image build --offline` (or `grade image build` with a "
                     "registry)").format(image=IMAGE)
        except (docker.errors.DockerException, OSError) as e:
            if "ermission denied" in str(e):
                return _(NO_ACCESS).format(problem=e)
            return _(NO_ENGINE).format(problem=e)
        finally:
            client.close()
        return None

    def __init__(self, warm: bool = True) -> None:
        docker = _docker()
        try:
            self.client = docker.from_env(version=DOCKER_API, timeout=120)
            self.api = self.client.api
            self.api.ping()
        except (docker.errors.DockerException, OSError) as e:
            raise SandboxError(_(NO_ENGINE).format(problem=e)) from e
        if RUN_ENV not in os.environ:  # inherited by the pytest processes `grade` starts
            os.environ[RUN_ENV] = uuid.uuid4().hex[:12]
        self.run_id = os.environ[RUN_ENV]
        self.owner = owner_id()
        self.id = uuid.uuid4().hex[:12]
        self.closed = False
        # the driver is mounted from a private copy: editing the checkout meanwhile cannot break a run
        lent = os.environ.pop(SHARED_ENV, None) if warm else None  # a class run's warm container (not passed on)
        top = Path(json.loads(lent)["work"]) if lent else None  # then this run's copies go in its folder
        self.lib = copy_driver(Path(tempfile.mkdtemp(prefix="labgrade-driver-", dir=top)))
        self._references: dict[str, Path] = {}  # a reference folder -> its copy under self.lib
        self._spare_client = docker.from_env(version=DOCKER_API, timeout=120)  # for the spares' thread
        self._spare_api = self._spare_client.api
        self._spares = ThreadPoolExecutor(max_workers=SPARES, thread_name_prefix="labgrade-spare")
        self._spare: collections.deque[tuple[Future[DockerTransport], dict[str, Any]]] = collections.deque()
        self._starts = StartsAhead()
        self._lock = threading.Lock()  # scenarios may start side by side, from several threads
        cleanup_by_label(self.api, stale=True)  # what crashed graders left behind
        atexit.register(self.close)
        self._staged: dict[str, Path] = {}  # a submission folder -> its copy under self.lib (warm container)
        self.warm: WarmContainer | None = None
        self.spares: Spares | None = None
        try:
            self.warm = (WarmContainer.join(self.api, lent) if lent else WarmContainer.make(self)) if warm else None
            self.spares = Spares(self.warm.server.fork) if self.warm else None
        except (SandboxError, OSError, docker.errors.DockerException) as e:
            self.caveat = _("the docker sandbox makes a container per scenario here, which is slower: {why}").format(
                why=warm_problem(e))

    def _plan(self, plan: dict[str, Any]) -> dict[str, Any]:
        limits = dict(plan.get("limits", {}))
        # the container's pids cgroup is the fork limit, not RLIMIT_NPROC; its counters (and the
        # memory cgroup's oom_kill) tell the driver which limit a program hit (v1 dirs, then v2)
        limits["max_processes"] = limits.pop("processes", None)
        limits["cgroup_dirs"] = list(CONTAINER_CGROUP_DIRS)
        return {**plan, "limits": limits, "jail": None, "cgroups": [],
                "student": {**plan["student"], "dir": SUBMISSION_MOUNT, "python": CONTAINER_PYTHON,
                            "uid": SANDBOX_UID, "gid": SANDBOX_UID},
                "reference": {**plan["reference"], "dir": REFERENCE_MOUNT, "python": CONTAINER_PYTHON}}

    def _container_config(self, plan: dict[str, Any]) -> dict[str, Any]:
        limits = plan.get("limits", {})
        memory_mb = int(limits.get("memory_mb", 512)) + MEMORY_RESERVE_MB
        scratch_mb = int(plan.get("scratch_mb", 16))
        mount = _docker().types.Mount
        mounts = [mount(SUBMISSION_MOUNT, os.path.abspath(plan["student"]["dir"]), type="bind", read_only=True),
                  mount(REFERENCE_MOUNT, str(self.reference_copy(plan["reference"]["dir"])), type="bind",
                        read_only=True),
                  mount(f"{CODE_MOUNT}/grader", str(self.lib / "grader"), type="bind", read_only=True)]
        host_config = self.api.create_host_config(
            mounts=mounts,
            network_mode="none", ipc_mode="private", read_only=True, auto_remove=True,
            tmpfs={"/tmp": f"rw,exec,nosuid,nodev,size={scratch_mb}m,mode=1777"}, shm_size="1m",
            pids_limit=int(limits.get("processes", 128)) + PIDS_RESERVE,
            mem_limit=f"{memory_mb}m", memswap_limit=f"{memory_mb}m", nano_cpus=int(_cpus() * 1e9),
            security_opt=["no-new-privileges"], cap_drop=["ALL"], cap_add=DRIVER_CAPS,
            log_config={"Type": "none", "Config": {}},  # the output goes through the attach socket only
        )
        # socket buffers charged to the container (cgroup v1: an engine option the SDK does not name;
        # v2 charges them to mem_limit anyway): docs/kernel.md, "Limits and teardown"
        host_config["KernelMemoryTCP"] = int(limits.get("socket_mb", 64)) << 20
        alarm = math.ceil(float(plan["timeout"]) + GRACE + ALARM_SLACK)
        return {"image": IMAGE, "command": [CONTAINER_PYTHON, "-I", "-c", DRIVER_BOOT, CODE_MOUNT, str(alarm)],
                "user": "0:0", "working_dir": "/", "stdin_open": True, "tty": False, "host_config": host_config,
                "hostname": SANDBOX_HOSTNAME,
                "labels": {LABEL: "1", RUN_LABEL: self.run_id, OWNER_LABEL: self.owner, BOX_LABEL: self.id}}

    def reference_copy(self, folder: str) -> Path:
        """The reference, mounted from a copy under this backend's temp folder: a container's
        /proc/self/mountinfo shows a mount's host path, and the checkout's path says too much
        (a user's name, the course's layout). Copied once per backend."""
        with self._lock:
            if folder not in self._references:
                self._references[folder] = Path(shutil.copytree(folder,
                                                                self.lib / f"reference-{len(self._references)}"))
            return self._references[folder]

    def start(self, plan: dict[str, Any]) -> DriverProcess:
        if self.closed:
            raise SandboxError("the docker backend was closed")
        if self.warm is not None and self.spares is not None:
            return self._start_warm(self.warm, self.spares, plan)
        alarm = math.ceil(float(plan["timeout"]) + GRACE + ALARM_SLACK)
        return DriverProcess(self._take(self._container_config(plan)), {**self._plan(plan), "alarm": alarm})

    def _start_warm(self, warm: WarmContainer, spares: Spares, plan: dict[str, Any]) -> DriverProcess:
        """A scenario in the warm container: its students in a cgroup of their own, as the local backend's."""
        limits = dict(plan.get("limits", {}))
        cgroup = Cgroup.for_limits(limits, cpus=_cpus())
        try:
            plan = {**plan, "limits": limits, "jail": {"root": JAIL_ROOT},
                    "cgroups": [warm.inside(procs) for procs in cgroup.procs],
                    "student": {**plan["student"], "dir": warm.inside(self.staged(plan["student"]["dir"])),
                                "python": CONTAINER_PYTHON, "uid": SANDBOX_UID, "gid": SANDBOX_UID},
                    "reference": {**plan["reference"], "python": CONTAINER_PYTHON,
                                  "dir": warm.inside(self.reference_copy(plan["reference"]["dir"]))}}
            driver = spares.take()
        except BaseException:
            cgroup.close()
            raise
        return DriverProcess(driver, plan, cleanup=cgroup.close)

    def staged(self, folder: str) -> Path:
        """A submission, copied once under this backend's folder, which the warm container sees."""
        with self._lock:
            if folder not in self._staged:
                self._staged[folder] = Path(shutil.copytree(folder, self.lib / f"submission-{len(self._staged)}",
                                                            symlinks=True))
            return self._staged[folder]

    def _launch(self, config: dict[str, Any], api: Any) -> DockerTransport:
        """Create, attach and start a container (through `api`); its driver waits for a plan."""
        docker = _docker()
        cid: str | None = None
        transport: DockerTransport | None = None
        try:
            cid = api.create_container(**config)["Id"]
            # attached before the start, so that no output is lost; the plan (JSON) never holds the
            # detach keys (ctrl-p ctrl-q): json.dumps escapes control characters
            attached = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            transport = DockerTransport(self.api, cid, attached, self._remove_later)
            api.start(cid)
            limit_socket_memory(api, cid, int(config["host_config"].get("KernelMemoryTCP") or 0))
        except BaseException as e:
            if transport:
                transport.kill()
            elif cid:
                _remove(self.api, cid)
            if isinstance(e, docker.errors.ImageNotFound):
                raise SandboxError(_("image {image} missing: run `grade image build --offline`").format(
                    image=IMAGE)) from e
            if isinstance(e, docker.errors.DockerException):
                raise SandboxError(_("cannot start a container: {error}").format(error=e)) from e
            raise
        return transport

    def _take(self, config: dict[str, Any]) -> DockerTransport:
        """The oldest spare container, started during earlier scenarios, when it was made for the
        same configuration and its driver still waits (it wrote nothing), else a new one; then
        spares are started in the background (own API connection) to keep SPARES in flight. A
        scenario still gets a container that nothing ran in before, but does not wait for its
        start (~0.3-0.5 s, longer than a correct scenario: hence two in flight; bench/RESULTS.md).
        A spare's boot alarm covers its wait; the plan re-arms it."""
        key = {k: v for k, v in config.items() if k != "command"}
        transport: DockerTransport | None = None
        while transport is None:
            with self._lock:
                if not self._spare:
                    break
                future, made_for = self._spare.popleft()
            try:
                candidate: DockerTransport | None = future.result()
            except Exception:  # the next start below says what is wrong, if it still is
                candidate = None
            if candidate is not None and made_for == key and not select.select([candidate.sock], [], [], 0)[0]:
                transport = candidate
            elif candidate is not None:
                candidate.kill()
        if transport is None:
            transport = self._launch(config, self.api)
        alarm = (SPARES + 1) * int(config["command"][-1])  # the scenarios before its own, then its own
        spare_config = {**config, "command": [*config["command"][:-1], str(alarm)]}
        with self._lock:
            self._starts.one_started()
            while len(self._spare) < SPARES and self._starts.worth(len(self._spare)):
                self._spare.append((self._spares.submit(self._launch, spare_config, self._spare_api), key))
        return transport

    def expect(self, starts: int) -> None:
        if self.spares is not None:
            self.spares.expect(starts)
        with self._lock:
            self._starts.left = starts

    def lend(self) -> tuple[str, socket.socket] | None:
        return self.warm.lend() if self.warm is not None and self.warm.owned else None

    def _remove_later(self, cid: str) -> None:
        """Remove a used container on the spares' thread (own API connection); close() joins it."""
        try:
            self._spares.submit(_remove, self._spare_api, cid)
        except RuntimeError:  # the backend is closing: remove it now
            _remove(self.api, cid)

    def run(self, plan: dict[str, Any]) -> dict[str, Any]:
        return self.start(plan).finish()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        atexit.unregister(self.close)
        try:
            if self.spares is not None:
                self.spares.close()
            if self.warm is not None:
                self.warm.close()
            while self._spare:
                with contextlib.suppress(Exception):
                    self._spare.popleft()[0].result().kill()
            self._spares.shutdown(wait=True)
            cleanup_by_label(self.api, sandbox=self.id)
        finally:
            self._spare_client.close()
            self.client.close()
            shutil.rmtree(self.lib, ignore_errors=True)
