"""What the threads of the sandbox are doing: running, asleep until something happens by itself,
or asleep until another process acts (/proc/PID/task/TID/stat and syscall; docs/kernel.md)."""

from __future__ import annotations

import os
from typing import NamedTuple

from .probes import _read, _tasks, fd_target, pids, read_stat
from .syscalls import parse_syscall, parse_syscall_args, waits_forever


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

