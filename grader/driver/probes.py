"""Observation of the sandbox from /proc and netlink (see shared/linux-probes.md).

Pure `parse_*` functions take file contents; `read_*` functions do the I/O and tolerate
processes vanishing between listdir and open (FileNotFoundError and ProcessLookupError
were both seen). Everything here reads the caller's own pid and network namespaces.
"""

from __future__ import annotations

import os
import socket
import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcStat:
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
    try:
        with open(path) as f:
            return f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def pids() -> list[int]:
    return [int(n) for n in os.listdir("/proc") if n.isdigit()]


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


# -- sockets ------------------------------------------------------------------------------

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST_DUMP = 0x301
NLMSG_ERROR, NLMSG_DONE = 2, 3
TCP_LISTEN = 10


def parse_inet_diag(data: bytes, out: dict[int, tuple[int, int]]) -> bool:
    """Parse one netlink reply into {port: (backlog, accept_queue)}; True when the dump is done."""
    off = 0
    while off + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, off)
        if kind == NLMSG_DONE:
            return True
        if kind == NLMSG_ERROR:
            errno = -struct.unpack_from("=i", data, off + 16)[0]
            raise OSError(errno, "inet_diag request failed")
        (sport,) = struct.unpack_from("!H", data, off + 20)  # inet_diag_msg.id.idiag_sport
        rqueue, wqueue = struct.unpack_from("=II", data, off + 72)
        out[sport] = (wqueue, rqueue)  # for a listener: wqueue = backlog, rqueue = queue length
        off += (length + 3) & ~3
    return False


def tcp_listeners() -> dict[int, tuple[int, int]]:
    """{port: (backlog, accept-queue length)} for every TCP listener of this network namespace."""
    out: dict[int, tuple[int, int]] = {}
    with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_SOCK_DIAG) as s:
        for family in (socket.AF_INET, socket.AF_INET6):
            req = struct.pack("=BBBBI", family, socket.IPPROTO_TCP, 0, 0, 1 << TCP_LISTEN) + bytes(48)
            s.send(struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST_DUMP, 1, 0) + req)
            while not parse_inet_diag(s.recv(65536), out):
                pass
    return out


def parse_netstat(text: str) -> dict[str, int]:
    """TcpExt counters of /proc/net/netstat (per network namespace)."""
    lines = text.splitlines()
    for head, values in zip(lines[0::2], lines[1::2], strict=False):
        if head.startswith("TcpExt:"):
            return dict(zip(head.split()[1:], map(int, values.split()[1:]), strict=True))
    return {}
