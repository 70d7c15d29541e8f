"""The docker backend's containers, as configuration: what a scenario's container (or the warm
container) is created with, built from a plan and its limits without an engine (pure, and tested
so: tests/unit/test_docker_parts.py). Why each setting: the theory of operation in __init__.py."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

from ...assignment.model import Limits
from ...driver.jail import HOSTNAME as SANDBOX_HOSTNAME
from ...image import DOCKER_API, IMAGE
from ..base import GRACE
from ..local import CHILD_EHASH, Cgroup
from ..local import DRIVER_BOOT as LOCAL_BOOT
from ..zygote import ZYGOTE_BOOT

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
DEFAULT = Limits()  # a plan carries its limits; these stand in for one that lacks a figure
ALARM_SLACK = 10  # the driver's own alarm fires this long after the host's deadline
# the driver's boot line (local.py's), after an alarm of its own: argv[2] seconds, then exit 124
DRIVER_BOOT = ("import os, signal, sys; signal.signal(signal.SIGALRM, lambda *_: os._exit(124)); "
               f"signal.alarm(int(sys.argv[2])); {LOCAL_BOOT}")
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


def docker_sdk() -> Any:
    import docker  # type: ignore[import-untyped]  # imported late: the local backend works without it

    return docker


def cpus() -> float:
    try:
        return max(0.1, float(os.environ.get("LABGRADE_DOCKER_CPUS", "1")))
    except ValueError:
        return 1.0


def alarm_of(plan: dict[str, Any]) -> int:
    """Seconds after which the driver of a scenario's container ends itself: the host's deadline, then some."""
    return math.ceil(float(plan["timeout"]) + GRACE + ALARM_SLACK)


def scenario_plan(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan as the driver sees it in a scenario's own container (its paths, its limits)."""
    limits = dict(plan.get("limits", {}))
    # the container's pids cgroup is the fork limit, not RLIMIT_NPROC; its counters (and the
    # memory cgroup's oom_kill) tell the driver which limit a program hit (v1 dirs, then v2)
    limits["max_processes"] = limits.pop("processes", None)
    limits["cgroup_dirs"] = list(CONTAINER_CGROUP_DIRS)
    return {**plan, "limits": limits, "jail": None, "cgroups": [],
            "student": {**plan["student"], "dir": SUBMISSION_MOUNT, "python": CONTAINER_PYTHON,
                        "uid": SANDBOX_UID, "gid": SANDBOX_UID},
            "reference": {**plan["reference"], "dir": REFERENCE_MOUNT, "python": CONTAINER_PYTHON}}


def scenario_config(plan: dict[str, Any], reference: Path, lib: Path, labels: dict[str, str]) -> dict[str, Any]:
    """The create_container arguments of a scenario's own container: `reference`, the host's copy of
    the reference folder; `lib`, the folder holding the host's copy of the driver (lib/grader)."""
    limits = plan.get("limits", {})
    memory_mb = int(limits.get("memory_mb", DEFAULT.memory_mb)) + MEMORY_RESERVE_MB
    scratch_mb = int(plan.get("scratch_mb", DEFAULT.scratch_mb))
    mount = docker_sdk().types.Mount
    mounts = [mount(SUBMISSION_MOUNT, os.path.abspath(plan["student"]["dir"]), type="bind", read_only=True),
              mount(REFERENCE_MOUNT, str(reference), type="bind", read_only=True),
              mount(f"{CODE_MOUNT}/grader", str(lib / "grader"), type="bind", read_only=True)]
    host_config = docker_sdk().types.HostConfig(
        version=DOCKER_API, mounts=mounts,
        network_mode="none", ipc_mode="private", read_only=True, auto_remove=True,
        tmpfs={"/tmp": f"rw,exec,nosuid,nodev,size={scratch_mb}m,mode=1777"}, shm_size="1m",
        pids_limit=int(limits.get("processes", DEFAULT.processes)) + PIDS_RESERVE,
        mem_limit=f"{memory_mb}m", memswap_limit=f"{memory_mb}m", nano_cpus=int(cpus() * 1e9),
        security_opt=["no-new-privileges"], cap_drop=["ALL"], cap_add=DRIVER_CAPS,
        log_config={"Type": "none", "Config": {}},  # the output goes through the attach socket only
    )
    # socket buffers charged to the container (cgroup v1: an engine option the SDK does not name;
    # v2 charges them to mem_limit anyway): docs/kernel.md, "Limits and teardown"
    host_config["KernelMemoryTCP"] = int(limits.get("socket_mb", DEFAULT.socket_mb)) << 20
    return {"image": IMAGE, "command": [CONTAINER_PYTHON, "-I", "-c", DRIVER_BOOT, CODE_MOUNT, str(alarm_of(plan))],
            "user": "0:0", "working_dir": "/", "stdin_open": True, "tty": False, "host_config": host_config,
            "hostname": SANDBOX_HOSTNAME, "labels": labels}


def warm_config(work: Path, labels: dict[str, str], apparmor: bool) -> dict[str, Any]:
    """The create_container arguments of the warm container: `work`, the backend's folder (where
    the driver server's socket is); `apparmor`, whether the host confines containers with it."""
    mount = docker_sdk().types.Mount
    mounts = [mount(WORK_MOUNT, str(work), type="bind", read_only=True),
              mount(CGROUP_MOUNT, str(Cgroup.V1), type="bind", read_only=False)]
    host_config = docker_sdk().types.HostConfig(
        version=DOCKER_API, mounts=mounts, network_mode="none", ipc_mode="private", read_only=True,
        auto_remove=True, tmpfs={"/tmp": "rw,nosuid,nodev,size=1m,mode=1777"}, shm_size="1m", cgroupns="host",
        pids_limit=WARM_PIDS, mem_limit=f"{WARM_MEMORY_MB}m", memswap_limit=f"{WARM_MEMORY_MB}m",
        security_opt=["no-new-privileges", *(["apparmor=unconfined"] if apparmor else [])],
        cap_drop=["ALL"], cap_add=WARM_CAPS, log_config={"Type": "json-file", "Config": {"max-size": "1m"}})
    return {"image": IMAGE, "command": [CONTAINER_PYTHON, "-I", "-S", "-c", ZYGOTE_BOOT, WORK_MOUNT, "--connect",
                                        f"{WORK_MOUNT}/driver.sock", str(CHILD_EHASH)],
            "user": "0:0", "working_dir": "/", "host_config": host_config, "hostname": SANDBOX_HOSTNAME,
            "labels": labels}
