"""Observation of the sandbox from /proc and netlink (docs/kernel.md).

Pure `parse_*` functions take file contents; `read_*` functions do the I/O and tolerate
processes vanishing between listdir and open (FileNotFoundError and ProcessLookupError
were both seen). Everything here reads the caller's own pid and network namespaces.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import socket
import struct
from collections.abc import Callable
from typing import NamedTuple, TypeVar

from .stepspec import SYSCALLS as SYSCALLS_OF  # the calls a lab may name, and the C library's for each

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


def cpu_ms(pid: int) -> int | None:
    ns = cpu_ns(pid)
    return None if ns is None else ns // 1_000_000


def voluntary_switches(pid: int) -> int | None:
    """Voluntary context switches of all threads: each is a sleep that ended, i.e. a wake-up."""
    texts = [_read(f"/proc/{pid}/task/{t}/status") for t in _tasks(pid)]
    values = [int(parse_status(t).get("voluntary_ctxt_switches", 0)) for t in texts if t]
    return sum(values) if values else None


# system call numbers by machine: the blocking calls a student's program may wait in
SYSCALLS = {
    "x86_64": {0: "read", 7: "poll", 23: "select", 45: "recvfrom", 47: "recvmsg", 43: "accept", 288: "accept4",
               232: "epoll_wait", 281: "epoll_pwait", 441: "epoll_pwait2", 270: "pselect6", 271: "ppoll",
               202: "futex", 35: "nanosleep", 230: "clock_nanosleep", 61: "wait4", 247: "waitid", 17: "pread64",
               19: "readv", 34: "pause", 130: "rt_sigsuspend", 1: "write", 44: "sendto", 42: "connect"},
    "aarch64": {63: "read", 73: "ppoll", 72: "pselect6", 207: "recvfrom", 212: "recvmsg", 202: "accept",
                242: "accept4", 22: "epoll_pwait", 441: "epoll_pwait2", 98: "futex", 101: "nanosleep",
                115: "clock_nanosleep", 260: "wait4", 95: "waitid", 65: "readv", 133: "rt_sigsuspend",
                64: "write", 206: "sendto", 203: "connect"},
}
# Where a call that blocks takes its timeout, and what means "none": (argument index, "null" for a
# pointer that is NULL, "negative" for an int below 0). A call absent from here and from FOREVER
# may end by itself (a sleep, a connect's retransmissions, a write a reader drains): never forever.
TIMEOUTS = {"select": (4, "null"), "pselect6": (4, "null"), "ppoll": (2, "null"), "epoll_pwait2": (3, "null"),
            "poll": (2, "negative"), "epoll_wait": (3, "negative"), "epoll_pwait": (3, "negative")}
FOREVER = {"read", "readv", "recvfrom", "recvmsg", "accept", "accept4", "wait4", "waitid", "pause",
           "rt_sigsuspend"}
FUTEX_WAITS = {0, 9}  # FUTEX_WAIT, FUTEX_WAIT_BITSET (the op, its flags masked)
FUTEX_CMD_MASK = 0x7F
FAMILIES = {call: family for family, calls in SYSCALLS_OF.items() for call in calls}  # pselect6 -> select


def family(call: str) -> str:
    """The call a student wrote, from the one the C library made (select() is pselect6 on glibc 2.36)."""
    return FAMILIES.get(call, call)


def parse_syscall(text: str, machine: str) -> tuple[str, int | None] | None:
    """/proc/PID/syscall -> (call name, first argument) when blocked; None when running."""
    fields = text.split()
    if not fields or fields[0] in ("running", "-1"):
        return None
    number = int(fields[0])
    return SYSCALLS.get(machine, {}).get(number, f"syscall {number}"), int(fields[1], 16) if len(fields) > 1 else None


def parse_syscall_args(text: str, machine: str) -> tuple[str, list[int]] | None:
    """/proc/PID/task/TID/syscall -> (call name, its six arguments) when blocked; None when running."""
    fields = text.split()
    if not fields or fields[0] in ("running", "-1"):
        return None
    number = int(fields[0])
    return SYSCALLS.get(machine, {}).get(number, f"syscall {number}"), [int(f, 16) for f in fields[1:7]]


def waits_forever(call: str, args: list[int]) -> bool:
    """Whether a thread blocked in `call` stays blocked until another process acts: a read, an
    accept, a wait for a child, or select/poll/epoll/futex with no timeout. A timeout, a sleep, or a
    call that ends by itself (connect's retransmissions) is not forever. (A timer the program set
    with alarm() or SO_RCVTIMEO is not visible here: docs/kernel.md.)"""
    if call in FOREVER:
        return True
    if call in TIMEOUTS:
        at, none = TIMEOUTS[call]
        value = args[at] if at < len(args) else 0
        return value == 0 if none == "null" else (value & 0xFFFFFFFF) >= 0x80000000  # an int below 0
    if call == "futex" and len(args) > 3:
        return args[1] & FUTEX_CMD_MASK in FUTEX_WAITS and args[3] == 0
    return False


def fd_target(pid: int, fd: int) -> str | None:
    """What a process's descriptor is ('socket:[123]', 'pipe:[45]', '/dev/pts/0', a path), None if unreadable."""
    link = f"/proc/{pid}/fd/{fd}"
    return _as_owner(link, lambda: os.readlink(link))


def reads_from_another_process(pid: int, fd: int) -> bool:
    """Whether a read() of this descriptor waits for another process: a pipe, a socket, a terminal
    or another device, an event (anon_inode); not a file or a named FIFO, whose read can end by
    itself (a page read from the disk, a writer that comes). Unknown (unreadable): True."""
    target = fd_target(pid, fd)
    return target is None or not target.startswith("/") or target.startswith("/dev/")


def thread_wait(pid: int, tid: int | str) -> tuple[str, bool] | None:
    """(the call a sleeping thread waits in, whether it waits forever); None while it runs."""
    text = _read(f"/proc/{pid}/task/{tid}/syscall")
    parsed = parse_syscall_args(text, os.uname().machine) if text else None
    if parsed is None:
        return None
    call, args = parsed
    forever = waits_forever(call, args)
    if forever and call in ("read", "readv") and args and not reads_from_another_process(pid, args[0]):
        forever = False
    return call, forever


def blocked_in(pid: int) -> tuple[str, str] | None:
    """(system call, what its fd argument is) the process's main thread waits in, None if running."""
    text = _read(f"/proc/{pid}/syscall")
    parsed = parse_syscall(text, os.uname().machine) if text else None
    if parsed is None:
        return None
    call, arg = parsed
    what = ""
    if call in ("read", "recvfrom", "readv", "pread64", "accept", "accept4") and arg is not None:
        target = fd_target(pid, arg)
        what = f"fd {arg} ({target})" if target else f"fd {arg}"
    return call, what


# -- sockets ------------------------------------------------------------------------------

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST_DUMP = 0x301
NLMSG_ERROR, NLMSG_DONE = 2, 3
TCP_LISTEN = 10


def netlink_messages(data: bytes) -> tuple[list[bytes], bool]:
    """The inet_diag messages of one netlink reply (inet_diag_msg and its attributes), and whether
    the dump is done."""
    msgs: list[bytes] = []
    off = 0
    while off + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, off)
        if kind == NLMSG_DONE:
            return msgs, True
        if kind == NLMSG_ERROR:
            raise OSError(-struct.unpack_from("=i", data, off + 16)[0], "inet_diag request failed")
        msgs.append(data[off + 16:off + length])
        off += (length + 3) & ~3
    return msgs, False


def parse_inet_diag(data: bytes, out: dict[int, tuple[int, int]]) -> bool:
    """Parse one netlink reply into {port: (backlog, accept_queue)}; True when the dump is done."""
    msgs, done = netlink_messages(data)
    for msg in msgs:
        (sport,) = struct.unpack_from("!H", msg, 4)  # inet_diag_msg.id.idiag_sport
        rqueue, wqueue = struct.unpack_from("=II", msg, 56)
        out[sport] = (wqueue, rqueue)  # for a listener: wqueue = backlog, rqueue = queue length
    return done


def _diag_request(family: int, states: int, ext: int = 0) -> bytes:
    """A SOCK_DIAG_BY_FAMILY dump request for TCP sockets of `family` in `states` (a bit mask)."""
    req = struct.pack("=BBBBI", family, socket.IPPROTO_TCP, ext, 0, states) + bytes(48)
    return struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST_DUMP, 1, 0) + req


_diag: tuple[int, socket.socket] | None = None  # (pid, socket): a process's own, kept (the settle loops dump
# the sockets every few ms), in the network namespace where it was first needed


def _dump(states: int, ext: int, parse: Callable[[bytes], bool]) -> None:
    """Dump this namespace's TCP sockets (both address families), each reply to `parse`."""
    global _diag
    if _diag is None or _diag[0] != os.getpid():
        kind = socket.SOCK_RAW | socket.SOCK_CLOEXEC
        _diag = (os.getpid(), socket.socket(socket.AF_NETLINK, kind, NETLINK_SOCK_DIAG))
        atexit.register(_diag[1].close)
    s = _diag[1]
    for family in (socket.AF_INET, socket.AF_INET6):
        s.send(_diag_request(family, states, ext))
        while not parse(s.recv(1 << 20)):
            pass


def tcp_listeners() -> dict[int, tuple[int, int]]:
    """{port: (backlog, accept-queue length)} for every TCP listener of this network namespace."""
    out: dict[int, tuple[int, int]] = {}
    _dump(1 << TCP_LISTEN, 0, lambda data: parse_inet_diag(data, out))
    return out


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


# -- every TCP socket, with what it has sent and received ---------------------------------

INET_DIAG_INFO = 2  # attribute holding struct tcp_info (include/uapi/linux/inet_diag.h)
TCP_ESTABLISHED = 1
ALL_STATES = 0xFFF
# offsets in struct tcp_info (include/uapi/linux/tcp.h; the struct only ever grows): u64
# tcpi_bytes_received at 128 (data bytes received in order, +1 for a FIN), u32 tcpi_notsent_bytes
# at 144, u64 tcpi_bytes_sent and tcpi_bytes_retrans at 200 and 208 (Linux 4.19+): checked
# against a real connection in tests/unit/test_probes.py
TCPI_BYTES_RECEIVED, TCPI_NOTSENT, TCPI_BYTES_SENT, TCPI_MIN_LEN = 128, 144, 200, 216
TCPI_SND_MSS, TCPI_SND_WND = 16, 228  # u32 each; tcpi_snd_wnd: the peer's advertised window (Linux 5.4+)


class TcpSocket(NamedTuple):
    """One TCP socket of the network namespace, as the kernel reports it (sock_diag)."""

    state: int  # TCP_ESTABLISHED = 1, ..., TCP_LISTEN = 10
    local_port: int
    remote_port: int
    rqueue: int  # bytes received and not yet read by the owner (a listener: connections waiting to be accepted)
    wqueue: int  # bytes written and not yet acknowledged (a listener: its backlog)
    inode: int
    sent: int | None = None  # data bytes sent, retransmissions left out (None: the kernel does not say)
    received: int | None = None  # data bytes received in order, plus 1 once a FIN arrived
    notsent: int | None = None  # bytes written that the peer's window did not let out yet
    will_send: bool = False  # some of them will go without anyone acting: the window lets them (or unknown)


def parse_tcp_sockets(data: bytes, out: list[TcpSocket]) -> bool:
    """Parse one netlink reply of a dump with INET_DIAG_INFO; True when the dump is done."""
    msgs, done = netlink_messages(data)
    for msg in msgs:
        state = msg[1]
        sport, dport = struct.unpack_from("!HH", msg, 4)
        rqueue, wqueue, _uid, inode = struct.unpack_from("=IIII", msg, 56)
        sent = received = notsent = None
        will_send = False
        at = 72
        while at + 4 <= len(msg):  # the attributes: (u16 length, u16 type, payload), 4-byte aligned
            alen, atype = struct.unpack_from("=HH", msg, at)
            if alen < 4:
                break
            info = msg[at + 4:at + alen]
            if atype == INET_DIAG_INFO and len(info) >= TCPI_MIN_LEN:
                (received,) = struct.unpack_from("=Q", info, TCPI_BYTES_RECEIVED)
                (notsent,) = struct.unpack_from("=I", info, TCPI_NOTSENT)
                bytes_sent, retrans = struct.unpack_from("=QQ", info, TCPI_BYTES_SENT)
                sent = bytes_sent - retrans
                will_send = bool(notsent) and (len(info) < TCPI_SND_WND + 4 or _window_lets(info, wqueue, notsent))
            at += (alen + 3) & ~3
        out.append(TcpSocket(state, sport, dport, rqueue, wqueue, inode, sent, received, notsent, will_send))
    return done


def _window_lets(info: bytes, wqueue: int, notsent: int) -> bool:
    """Whether bytes written and not sent yet will go by themselves: the peer's window, less what
    is sent and not acknowledged, holds a full segment (or all of them). A sender holds back less
    (silly window avoidance): such bytes wait for the peer to read (docs/kernel.md)."""
    mss: int = struct.unpack_from("=I", info, TCPI_SND_MSS)[0]
    window: int = struct.unpack_from("=I", info, TCPI_SND_WND)[0]
    return window - (wqueue - notsent) >= min(mss or 1, notsent)


def tcp_sockets() -> list[TcpSocket]:
    """Every TCP socket of this network namespace (both address families), with tcp_info."""
    out: list[TcpSocket] = []
    _dump(ALL_STATES, 1 << (INET_DIAG_INFO - 1), lambda data: parse_tcp_sockets(data, out))
    return out


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


def peer_of(sockets: list[TcpSocket], local_port: int, remote_port: int) -> TcpSocket | None:
    """The other end of the loopback connection local_port -> remote_port, if it is in this namespace."""
    return next((s for s in sockets if s.local_port == remote_port and s.remote_port == local_port
                 and s.state != TCP_LISTEN), None)


def in_flight(sockets: list[TcpSocket]) -> list[tuple[int, int, int]]:
    """(from port, to port, bytes) for data sent on loopback that the receiving socket has not
    received yet (still in the kernel's loopback queue). Both ends are in this namespace; bytes
    held back by a closed receive window are not in flight (`notsent`), they wait in the sender."""
    found = []
    for s in sockets:
        if s.sent is None or s.state == TCP_LISTEN:
            continue
        peer = peer_of(sockets, s.local_port, s.remote_port)
        if peer is not None and peer.received is not None and s.sent > peer.received:
            found.append((s.local_port, s.remote_port, s.sent - peer.received))
    return found


# -- what the processes of the sandbox are doing --------------------------------------------

def parse_state(text: str) -> str:
    """The state letter of a /proc/PID/task/TID/stat line (R running, S sleeping, D disk, T stopped, Z zombie)."""
    return text.rsplit(")", 1)[1].split()[0]


def thread_state(pid: int, tid: str) -> str:
    text = _read(f"/proc/{pid}/task/{tid}/stat")
    return parse_state(text) if text else "X"


class Tasks(NamedTuple):
    """The threads of a PID namespace (the driver aside), by what they are doing."""

    busy: tuple[tuple[int, int], ...]  # running or runnable (R), or in an uninterruptible wait (D)
    restless: tuple[tuple[int, str], ...]  # (pid, call): asleep, but may wake by itself (a timeout, a sleep)
    waiting: tuple[tuple[int, str], ...]  # (pid, call): asleep until another process acts


def read_tasks(exclude: int, calls: bool = False) -> Tasks:
    """What every thread of this PID namespace but `exclude` (the driver) is doing. A thread asleep
    (S) waits for an event; stopped (T) or dead (Z) threads do nothing. With `calls`, a sleeping
    thread's system call says whether it can wake by itself (/proc/PID/task/TID/syscall)."""
    busy: list[tuple[int, int]] = []
    restless: list[tuple[int, str]] = []
    waiting: list[tuple[int, str]] = []
    for pid in pids():
        if pid == exclude:
            continue
        stat = read_stat(pid)  # most programs have one thread: the process's stat is that thread's
        threads = [(str(pid), stat.state)] if stat is not None and stat.threads == 1 else \
            [(tid, thread_state(pid, tid)) for tid in _tasks(pid)]
        for tid, state in threads:
            if state in ("R", "D"):
                busy.append((pid, int(tid)))
            elif state == "S" and calls:
                wait = thread_wait(pid, tid)
                if wait is None:  # it ran between the two reads
                    busy.append((pid, int(tid)))
                else:
                    (waiting if wait[1] else restless).append((pid, wait[0]))
    return Tasks(tuple(busy), tuple(restless), tuple(waiting))


def busy_tasks(exclude: int) -> list[tuple[int, int]]:
    """(pid, tid) of every thread of this PID namespace that may still do something without being
    woken (read_tasks: R or D). `exclude`: a pid left out (the driver itself)."""
    return list(read_tasks(exclude).busy)


def read_chars(pid: int) -> int | None:
    """Bytes the process has read with read(2) and friends so far (/proc/PID/io rchar): a terminal's
    input included, sockets read with recv() not."""
    text = _read(f"/proc/{pid}/io")
    if not text:
        return None
    return int(parse_status(text).get("rchar", 0))
