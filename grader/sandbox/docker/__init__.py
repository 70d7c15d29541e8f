"""The docker backend: the scenarios of a class in one warm container, or one container each.

Theory of operation. Where the grader may make cgroups (root on the engine's host), one container
of the grading image (see the top-level Dockerfile and grader/image.py) serves all the scenarios
of a backend (WarmContainer): of a class, when `grade` opens it and lends it to each submission's
pytest run (Sandbox.lend: a channel of its own to the container's driver server, passed as
SHARED_FD, and SHARED_ENV naming the rest), or of one pytest run opened alone. Its PID 1 is a
driver server, the local backend's (grader/driver/zygote.py), run as root from a private copy of
the host's driver code (base.copy_driver); it forks each scenario's driver into new network,
PID, mount, IPC and UTS namespaces, where the driver builds the student's root (rootfs.build_root,
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

from .backend import DockerSandbox
from .config import (
    CGROUP_MOUNT,
    DRIVER_CAPS,
    MEMORY_RESERVE_MB,
    PIDS_RESERVE,
    WARM_CAPS,
    WORK_MOUNT,
)
from .labels import owner_id, owner_is_gone, sigint_deferred, sweep_stale
from .transport import DockerTransport, Frames

__all__ = ["CGROUP_MOUNT", "DRIVER_CAPS", "MEMORY_RESERVE_MB", "PIDS_RESERVE", "WARM_CAPS", "WORK_MOUNT",
           "DockerSandbox", "DockerTransport", "Frames", "owner_id", "owner_is_gone", "sigint_deferred",
           "sweep_stale"]
