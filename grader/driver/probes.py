"""Observation of the sandbox's processes from /proc (docs/kernel.md).

Pure `parse_*` functions take file contents; `read_*` functions do the I/O and tolerate
processes vanishing between listdir and open (FileNotFoundError and ProcessLookupError
were both seen). Everything here reads the caller's own pid and network namespaces.
Beside it: sockdiag.py (the TCP sockets, over netlink), syscalls.py (the blocking calls and
whether each waits forever), tasks.py (what every thread is doing).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from typing import NamedTuple, TypeVar

SCOPE: list[int] = []  # the process backend (no PID namespace): [the driver's pid], whose descendants are the sandbox
_libc = ctypes.CDLL(None, use_errno=True)
T = TypeVar("T")


class ProcStat(NamedTuple):
    pid: int
    state: str
    ppid: int
    cpu_ticks: int  # utime + stime, SC_CLK_TCK units
    threads: int


def parse_stat(pid: int, text: str) -> ProcStat:
    fields = text.rsplit(")", 1)[1].split()  # comm may contain spaces and ')'
    return ProcStat(pid, fields[0], int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[17]))


def parse_status(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        out[key] = value.strip()
    return out


def _read(path: str) -> str | None:
    def read() -> str:
        with open(path) as f:
            return f.read()

    return _as_owner(path, read)


def _as_owner(path: str, act: Callable[[], T]) -> T | None:
    """act() on /proc/PID/...: None if the process is gone. /proc/PID/syscall, io, fd/N... of
    another uid's process need CAP_SYS_PTRACE, which root lacks in a container with Docker's
    defaults (the process backend); the kernel also grants them to the process's own uid and gid,
    checked against the reader's file-system ids: on refusal, act again as those, then back."""
    try:
        return act()
    except (FileNotFoundError, ProcessLookupError):
        return None
    except PermissionError:
        parts = path.split("/")
        if os.geteuid() != 0 or len(parts) < 3 or not parts[2].isdigit():
            return None
    try:
        owner = os.stat(f"/proc/{parts[2]}")
    except OSError:
        return None
    gid, uid = _libc.setfsgid(owner.st_gid), _libc.setfsuid(owner.st_uid)
    try:
        return act()
    except OSError:
        return None
    finally:
        _libc.setfsuid(uid)
        _libc.setfsgid(gid)


def pids() -> list[int]:
    """The sandbox's processes: its PID namespace's (local, docker), or the driver's descendants (SCOPE)."""
    every = [int(n) for n in os.listdir("/proc") if n.isdigit()]
    if not SCOPE:
        return every
    below: dict[int, list[int]] = {}
    for stat in filter(None, (read_stat(pid) for pid in every)):
        below.setdefault(stat.ppid, []).append(stat.pid)
    found, todo = [], list(SCOPE)
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += below.get(pid, [])
    return found


def read_stat(pid: int) -> ProcStat | None:
    text = _read(f"/proc/{pid}/stat")
    return parse_stat(pid, text) if text else None


def read_all_stats() -> list[ProcStat]:
    return [s for s in map(read_stat, pids()) if s is not None]


def children(ppid: int, stats: list[ProcStat] | None = None) -> list[ProcStat]:
    return [s for s in (stats or read_all_stats()) if s.ppid == ppid]


def count_children(pid: int) -> int:
    """Live (non-zombie) children of pid."""
    return sum(1 for s in children(pid) if s.state != "Z")


def count_zombies(pid: int) -> int:
    return sum(1 for s in children(pid) if s.state == "Z")


def count_fds(pid: int) -> int | None:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def count_threads(pid: int) -> int | None:
    stat = read_stat(pid)
    return stat.threads if stat else None


def is_sandboxed(pid: int) -> bool:
    """A student process: its capability bounding set was emptied before exec (jail.py)."""
    text = _read(f"/proc/{pid}/status")
    if not text:
        return False
    status = parse_status(text)
    return status.get("CapBnd") == "0000000000000000" and status.get("State", "Z")[:1] != "Z"


def student_processes() -> list[int]:
    return [p for p in pids() if p != os.getpid() and is_sandboxed(p)]


def _tasks(pid: int) -> list[str]:
    try:
        return os.listdir(f"/proc/{pid}/task")
    except (FileNotFoundError, ProcessLookupError):
        return []


def cpu_ns(pid: int) -> int | None:
    """CPU time of all the process's threads, in ns (schedstat: finer than stat's 10 ms ticks)."""
    texts = [_read(f"/proc/{pid}/task/{t}/schedstat") for t in _tasks(pid)]
    return sum(int(t.split()[0]) for t in texts if t) if texts else None


def thread_cpu_ns(pid: int, tid: int) -> int | None:
    """CPU time of one thread so far, in ns (None: it has ended)."""
    text = _read(f"/proc/{pid}/task/{tid}/schedstat")
    return int(text.split()[0]) if text else None


def schedstats() -> dict[tuple[int, int], tuple[int, int]]:
    """{(pid, tid): (ns on a CPU, ns ready to run but waiting for one)} for every thread of the
    sandbox (schedstat's first two fields); a loaded machine makes the second grow."""
    stats = {}
    for pid in student_processes():
        for tid in _tasks(pid):
            text = _read(f"/proc/{pid}/task/{tid}/schedstat")
            if text:
                ran, waited = text.split()[:2]
                stats[(pid, int(tid))] = (int(ran), int(waited))
    return stats


def thread_ready(pid: int, tid: int) -> bool:
    """Whether a thread is ready to run or running (state R)."""
    text = _read(f"/proc/{pid}/task/{tid}/stat")
    return text is not None and parse_stat(pid, text).state == "R"


def _read_bytes(path: str) -> bytes | None:
    def read() -> bytes:
        with open(path, "rb") as f:
            return f.read()

    return _as_owner(path, read)


def auxv(pid: int) -> bytes | None:
    """A process's auxiliary vector, which an exec makes anew (the kernel's AT_RANDOM bytes, on a
    new stack) and a fork copies from the parent: a process whose auxv equals its parent's has not
    exec'd since it was forked. None if unreadable."""
    return _read_bytes(f"/proc/{pid}/auxv") or None


def running_interpreter(pid: int, tid: int) -> bytes | None:
    """Something true if this thread runs code of a program that was already up when the thread
    began: b"" for a thread other than its process's first (started by running code), the
    process's auxv for the first thread of a process forked without exec (os.fork(): the child
    goes on in its parent's interpreter, set up long before; its auxv tells a later exec). None
    for a program that exec'd, which may still be starting its interpreter, and whenever it
    cannot be told."""
    if tid != pid:
        return b""
    text = _read(f"/proc/{pid}/stat")
    mine = auxv(pid)
    if text is None or mine is None:
        return None
    return mine if mine == auxv(parse_stat(pid, text).ppid) else None


def cpu_ms(pid: int) -> int | None:
    ns = cpu_ns(pid)
    return None if ns is None else ns // 1_000_000


def voluntary_switches(pid: int) -> int | None:
    """Voluntary context switches of all threads: each is a sleep that ended, i.e. a wake-up."""
    texts = [_read(f"/proc/{pid}/task/{t}/status") for t in _tasks(pid)]
    values = [int(parse_status(t).get("voluntary_ctxt_switches", 0)) for t in texts if t]
    return sum(values) if values else None


def fd_target(pid: int, fd: int) -> str | None:
    """What a process's descriptor is ('socket:[123]', 'pipe:[45]', '/dev/pts/0', a path), None if unreadable."""
    link = f"/proc/{pid}/fd/{fd}"
    return _as_owner(link, lambda: os.readlink(link))



def parse_netstat(text: str) -> dict[str, int]:
    """TcpExt counters of /proc/net/netstat (per network namespace)."""
    lines = text.splitlines()
    for head, values in zip(lines[0::2], lines[1::2], strict=False):
        if head.startswith("TcpExt:"):
            return dict(zip(head.split()[1:], map(int, values.split()[1:]), strict=True))
    return {}


def sysctl_max(name: str) -> int:
    """The largest figure of a sysctl of this network namespace ("net/ipv4/tcp_wmem": its maximum),
    0 when it cannot be read."""
    text = _read(f"/proc/sys/{name}")
    return max((int(f) for f in text.split()), default=0) if text else 0


def listen_overflows() -> int:
    """TcpExt ListenOverflows of this network namespace: +1 for every SYN a full accept queue dropped."""
    text = _read("/proc/net/netstat")
    return parse_netstat(text).get("ListenOverflows", 0) if text else 0



def tcp_memory() -> str:
    """The machine's TCP memory in use against its limits, for a grader fault's message: 'TCP mem
    383877 pages, tcp_mem 287907 383877 575814' (pressure from the second figure, refused at the third)."""
    try:
        with open("/proc/net/sockstat") as f:
            tcp = next((line for line in f if line.startswith("TCP:") and " mem " in line), " mem ?")
        used = tcp.split(" mem ")[1].split()[0]
        with open("/proc/sys/net/ipv4/tcp_mem") as f:
            limits = " ".join(f.read().split())
    except (OSError, IndexError):
        return "unreadable"
    return f"TCP mem {used} pages, tcp_mem {limits}"



def read_chars(pid: int) -> int | None:
    """Bytes the process has read with read(2) and friends so far (/proc/PID/io rchar): a terminal's
    input included, sockets read with recv() not."""
    text = _read(f"/proc/{pid}/io")
    if not text:
        return None
    return int(parse_status(text).get("rchar", 0))
