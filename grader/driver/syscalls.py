"""The blocking system calls a student's program may wait in, and whether each waits forever
(docs/kernel.md). Pure: tables and parsers of /proc/PID/syscall text, no I/O (tasks.py reads it)."""

from __future__ import annotations

from .stepspec import SYSCALLS as SYSCALLS_OF  # the calls a lab may name, and the C library's for each

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

