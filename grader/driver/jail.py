"""The student's confinement inside a sandbox, set up by the driver (root of its namespaces).

Theory of operation. The sandbox backend starts the driver as PID 1 of fresh network, PID and
mount namespaces (local backend), or in a container (docker backend). Then:
  * `loopback_up()` brings `lo` up: the only interface of the namespace.
  * `build_root()` (rootfs.py; not the process backend) mounts the student's whole visible filesystem:
    /usr read-only, a generated /etc, the submission, a scratch /tmp, nothing else of the host.
  * `student_preexec()` runs in the forked child before exec: it joins the sandbox cgroups
    (must precede the privilege drop), sets rlimits, chroots, gives the process a fresh anonymous
    session keyring (the inherited one is the grader's, through which root's user keyring is
    reachable), empties the capability bounding set (which is also how probes tell student
    processes apart: CapBnd 0), drops to the sandbox uid (or, in a user namespace where only one
    uid exists, locks securebits so that uid 0 gets no capabilities on exec), sets
    no_new_privs, and installs a seccomp filter that makes the kernel's key management calls
    (keyctl, add_key, request_key) fail with EPERM: a uid's user keyring outlives a run, so a
    student could leave data there for the next one (Docker's default profile denies them too).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import resource
import signal
import socket
import struct
from typing import Any

from .i18n import _, ngettext

_libc = ctypes.CDLL(None, use_errno=True)

HOSTNAME = "sandbox"  # the sandbox's host name: nothing of the machine's leaks (both backends)
PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 24, 28, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
PR_SET_CHILD_SUBREAPER = 36
# SECBIT_NOROOT | _LOCKED | SECBIT_NO_SETUID_FIXUP | _LOCKED | SECBIT_KEEP_CAPS_LOCKED
SECUREBITS_NO_ROOT = 0x01 | 0x02 | 0x04 | 0x08 | 0x20
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1

RLIMITS = {
    "cpu_seconds": resource.RLIMIT_CPU,
    "address_space_mb": resource.RLIMIT_AS,
    "file_size_mb": resource.RLIMIT_FSIZE,
    "open_files": resource.RLIMIT_NOFILE,
    "processes": resource.RLIMIT_NPROC,
}


# -- key management: a fresh session keyring, then no access at all (seccomp) -----------------------

# (AUDIT_ARCH_*, {call: number}) per machine: <linux/audit.h>, the kernel's syscall tables. Denied to
# students: the key management calls (a uid's user keyring outlives a run), and what reaches past a
# process's own uid when no namespace holds it (the process backend: grader/sandbox/process.py):
# tracing or reading another process, namespaces, mounts, BPF, perf events, userfaultfd. Without
# capabilities most of these fail anyway; the filter does not depend on it.
DENIED_CALLS = {
    "x86_64": (0xC000003E, {"add_key": 248, "request_key": 249, "keyctl": 250, "ptrace": 101,
                            "process_vm_readv": 310, "process_vm_writev": 311, "unshare": 272, "setns": 308,
                            "mount": 165, "umount2": 166, "pivot_root": 155, "open_by_handle_at": 304,
                            "bpf": 321, "perf_event_open": 298, "userfaultfd": 323}),
    "aarch64": (0xC00000B7, {"add_key": 217, "request_key": 218, "keyctl": 219, "ptrace": 117,
                             "process_vm_readv": 270, "process_vm_writev": 271, "unshare": 97, "setns": 268,
                             "mount": 40, "umount2": 39, "pivot_root": 41, "open_by_handle_at": 265,
                             "bpf": 280, "perf_event_open": 241, "userfaultfd": 282}),
}
KEYCTL_JOIN_SESSION_KEYRING = 1
X32_SYSCALL_BIT = 0x40000000
PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO = 0x7FFF0000, 0x00050000
BPF_LD_W_ABS, BPF_JEQ_K, BPF_JGE_K, BPF_RET_K = 0x20, 0x15, 0x35, 0x06


def _bpf(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def denied_filter(machine: str) -> bytes | None:
    """A seccomp program (struct sock_filter[]): the DENIED_CALLS, the x32 ABI and any foreign
    architecture fail with EPERM; everything else is allowed. None: unknown machine."""
    if machine not in DENIED_CALLS:
        return None
    arch, calls = DENIED_CALLS[machine]
    deny = SECCOMP_RET_ERRNO | errno.EPERM
    numbers = sorted(calls.values())
    prog = [_bpf(BPF_LD_W_ABS, 4),  # seccomp_data.arch
            _bpf(BPF_JEQ_K, arch, jt=1),  # the native ABI goes on; another one is refused outright
            _bpf(BPF_RET_K, deny),
            _bpf(BPF_LD_W_ABS, 0)]  # seccomp_data.nr
    if machine == "x86_64":
        prog.append(_bpf(BPF_JGE_K, X32_SYSCALL_BIT, jt=len(numbers) + 1))
    prog += [_bpf(BPF_JEQ_K, n, jt=len(numbers) - i) for i, n in enumerate(numbers)]
    prog += [_bpf(BPF_RET_K, SECCOMP_RET_ALLOW), _bpf(BPF_RET_K, deny)]
    return b"".join(prog)


def deny_calls() -> None:
    """Install denied_filter() on this process (no_new_privs must be set, or the caller privileged)."""
    program = denied_filter(os.uname().machine)
    if program is None:
        raise OSError(errno.ENOSYS, f"no seccomp filter for {os.uname().machine}")
    buf = ctypes.create_string_buffer(program)
    fprog = struct.pack("HxxxxxxP", len(program) // 8, ctypes.addressof(buf))  # struct sock_fprog
    _check(int(_libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.c_char_p(fprog), 0, 0)), "seccomp")


def fresh_session_keyring() -> None:
    """Leave the inherited session keyring for a new anonymous one (keyctl(JOIN_SESSION_KEYRING,
    NULL)). Where keyctl is already denied (Docker's seccomp profile: EPERM), nothing is reachable."""
    _, calls = DENIED_CALLS.get(os.uname().machine, (0, {}))
    if "keyctl" in calls and int(_libc.syscall(calls["keyctl"], KEYCTL_JOIN_SESSION_KEYRING, None)) < 0:
        err = ctypes.get_errno()
        if err not in (errno.EPERM, errno.ENOSYS):
            raise OSError(err, f"keyctl(JOIN_SESSION_KEYRING): {os.strerror(err)}")


def kill_uid(uid: int) -> None:
    """SIGKILL every process of `uid` (the process backend's student uid): a child takes the uid and
    calls kill(-1), which the kernel sends in one pass to every process that uid may signal (the
    sender aside), so that a fork bomb cannot outrun it, and nothing of another uid is touched."""
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def reap_children() -> None:
    """Wait for every child of this process (all killed by then): a subreaper inherits its
    descendants' orphans, and PID 1 of someone else's container may never reap what it inherits.
    A zombie still counts against its uid's RLIMIT_NPROC."""
    with contextlib.suppress(ChildProcessError):
        while True:
            os.waitpid(-1, 0)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(s: str | None) -> bytes | None:
        return s.encode() if s is not None else None

    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def prctl(option: int, arg: int = 0, arg3: int = 0) -> int:
    return int(_libc.prctl(option, ctypes.c_ulong(arg), ctypes.c_ulong(arg3), 0, 0))


def loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


class StudentPreexec:
    """The function Popen runs in a student's child between fork and exec (failures abort the
    spawn); it also keeps what the process is held to, so that its end can be explained."""

    def __init__(self, *, root: str | None, cwd: str, uid: int | None, gid: int | None,
                 limits: dict[str, Any], cgroups: list[str]) -> None:
        self.root, self.cwd, self.uid, self.gid = root, cwd, uid, gid
        self.limits, self.cgroups = limits, cgroups
        self.rlimits = []
        for key, value in limits.items():
            if key not in RLIMITS or value is None:
                continue
            scale = 1 << 20 if key.endswith("_mb") else 1
            soft = int(value * scale)
            hard = soft + 1 if key == "cpu_seconds" else soft  # SIGXCPU first, SIGKILL a second later
            self.rlimits.append((RLIMITS[key], (soft, hard)))

    def __call__(self) -> None:
        for procs in self.cgroups:
            with open(procs, "w") as f:
                f.write(str(os.getpid()))
        for res, pair in self.rlimits:
            resource.setrlimit(res, pair)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if self.root is not None:
            os.chroot(self.root)
        os.chdir(self.cwd)
        fresh_session_keyring()
        for cap in range(64):
            if prctl(PR_CAPBSET_DROP, cap) != 0 and ctypes.get_errno() == 22:  # EINVAL: past the last cap
                break
        prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)
        if self.uid is not None and self.gid is not None:
            os.setgroups([])
            os.setresgid(self.gid, self.gid, self.gid)
            os.setresuid(self.uid, self.uid, self.uid)
        else:  # user namespace: we stay uid 0 there, but exec must grant no capability
            _check(prctl(PR_SET_SECUREBITS, SECUREBITS_NO_ROOT), "securebits")
        _check(prctl(PR_SET_NO_NEW_PRIVS, 1), "no_new_privs")
        deny_calls()

    def counter_dirs(self) -> list[str]:
        """The cgroup directories whose counters tell what the student's processes hit: those
        it joins (local backend), or the container's own (docker: limits["cgroup_dirs"])."""
        return [os.path.dirname(p) for p in self.cgroups] + list(self.limits.get("cgroup_dirs") or [])

    def counters(self) -> dict[str, int]:
        """What the kernel refused or killed so far: {"oom_kill": n, "pids_max": n} (missing: 0)."""
        return read_counters(self.counter_dirs())

    def why(self, sig: int | None) -> list[str]:
        """Why a student's program ended (killed by `sig`, or None for an exit), in words, from
        the signal and the sandbox's cgroup counters: the sources of truth for each limit."""
        got, limits, reasons = self.counters(), self.limits, []
        if sig == signal.SIGXCPU:
            reasons.append(_("CPU time limit of {seconds:g} s used up").format(seconds=limits["cpu_seconds"])
                           if isinstance(limits.get("cpu_seconds"), (int, float)) else _("CPU time limit used up"))
        elif sig == signal.SIGXFSZ:
            reasons.append(_("it wrote a file past the size limit of {size} MB").format(
                size=limits.get("file_size_mb", "?")))
        if got.get("oom_kill"):
            n = got["oom_kill"]
            reasons.append((_("out of memory: it was killed for using more than {size} MB")
                            if sig == signal.SIGKILL and n == 1 else
                            ngettext("out of memory: the kernel killed {n} process of the submission for using more "
                                     "than {size} MB", "out of memory: the kernel killed {n} processes of the "
                                     "submission for using more than {size} MB", n))
                           .format(n=n, size=limits.get("memory_mb", "?")))
        if got.get("pids_max"):
            cap, n = limits.get("max_processes"), got["pids_max"]
            reasons.append((ngettext("process limit reached: fork() failed {n} time, at most {cap} processes",
                                     "process limit reached: fork() failed {n} times, at most {cap} processes", n)
                            if cap else ngettext("process limit reached: fork() failed {n} time",
                                                 "process limit reached: fork() failed {n} times", n))
                           .format(n=n, cap=cap))
        return reasons


def read_counters(dirs: list[str]) -> dict[str, int]:
    """oom_kill (memory.events in v2, memory.oom_control in v1) and pids_max ("max" of
    pids.events, the forks the pids cgroup refused) summed over `dirs`; unreadable: absent."""
    found: dict[str, int] = {}
    for d in dirs:
        for name, key, field in (("memory.events", "oom_kill", "oom_kill"), ("memory.oom_control", "oom_kill",
                                                                              "oom_kill"),
                                 ("pids.events", "pids_max", "max")):
            try:
                with open(os.path.join(d, name)) as f:
                    text = f.read()
            except OSError:
                continue
            for line in text.splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0] == field and parts[1].isdigit():
                    found[key] = found.get(key, 0) + int(parts[1])
    return found


def student_preexec(
    *, root: str | None, cwd: str, uid: int | None, gid: int | None,
    limits: dict[str, Any], cgroups: list[str],
) -> StudentPreexec:
    """The function Popen runs in the child between fork and exec. Failures abort the spawn."""
    return StudentPreexec(root=root, cwd=cwd, uid=uid, gid=gid, limits=limits, cgroups=cgroups)
