"""Stopping what the grader started, in one place: its processes, and the cgroups of the sandboxes.

Theory of operation. Every process the grader ends (a class run's pytest runs, a helper server, a
sandbox's driver or keeper, the students left in a scenario's cgroup) is ended by stop(): the
signals of a Ladder in turn (SIGINT, which a pytest run answers by tearing its sandbox down;
SIGTERM; SIGKILL), each sent to the processes still running and followed by its grace, the time
they get to end before the next signal. Processes are watched through pidfds (Linux 5.3+): a pidfd
turns readable when its process has ended, without reaping it, so neither a pid nor a process
group's id can be reused under the routine; every pidfd is opened before the first signal. Each
step is logged (logger "labgrade.lifecycle", at DEBUG; a process that outlives its last signal, at
WARNING). The processes of a process-backend scenario's uid are ended by kill_uid() instead: no
list of pids can catch a fork bomb, kill(-1) sent as that uid does. The driver's own TERM -> KILL
of a student's program (grader/driver/program.py: the student's outcome, measured) and its own
kill(-1) at the end of a scenario (grader/driver/jail.py) are not here: the driver runs in the
sandbox, on the standard library only.
Cgroups: a scenario's cgroups (grader/sandbox/local.py, Cgroup) are named labgrade-<run>-<id>, so
that sweep_cgroups() can remove what the run's pytest processes, killed before their own clean-up,
left (docs/kernel.md, "Limits and teardown").
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import subprocess
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..i18n import _

log = logging.getLogger("labgrade.lifecycle")
CGROUPS = Path("/sys/fs/cgroup")  # the cgroup file system: v2's unified tree, or v1's one folder per controller
CLOSE_WITHIN = 10.0  # seconds for the kernel to end a cgroup's processes, or a SIGKILLed process to be gone;
# past that, a cgroup is left to the class run's sweep (sweep_cgroups), which knows it by the run id in its name


@dataclass(frozen=True)
class Ladder:
    """The signals stop() sends, in turn, each with the seconds the processes get to end before the next."""

    steps: tuple[tuple[signal.Signals, float], ...]


STOP_GRACE = 5.0  # seconds a pytest run gets to tear its sandbox down after SIGINT (a clean stop takes ~1-2 s)
TERM_GRACE = 1.0  # seconds after SIGTERM, for a run that let SIGINT pass: Python's default ends it at once
INTERRUPT = Ladder(((signal.SIGINT, STOP_GRACE), (signal.SIGTERM, TERM_GRACE), (signal.SIGKILL, CLOSE_WITHIN)))
KILL = Ladder(((signal.SIGKILL, CLOSE_WITHIN),))  # at once, then waited for
KILL_UNWAITED = Ladder(((signal.SIGKILL, 0.0),))  # at once, from a thread that must not block (interrupt())


@dataclass(frozen=True)
class Process:
    """A process to stop: by its pid, or a pidfd the caller holds (and closes), named for the log.
    `group`: the last signal goes to its whole process group (the pid leads it), even once it ended."""

    what: str
    pid: int | None = None
    pidfd: int | None = None
    group: bool = False


def stop(processes: Iterable[Process], ladder: Ladder = KILL, *, asked: float = 0.0) -> list[Process]:
    """End `processes` by the signals of `ladder`; `asked`: seconds they get first to end on their
    own (asked otherwise, e.g. their socket closed). Returns those still running after the last step."""
    watched: list[tuple[Process, int | None]] = []  # each with its pidfd (None: it had ended already)
    opened: list[int] = []
    try:
        for p in processes:
            fd = p.pidfd
            if fd is None and p.pid is not None:
                with contextlib.suppress(OSError):  # gone already (ProcessLookupError): nothing to wait for
                    fd = os.pidfd_open(p.pid)
                    opened.append(fd)
            watched.append((p, fd))
        running = [(p, fd) for p, fd in watched if fd is not None]
        if asked:
            running = _wait_ended(running, asked, "asked")
        for n, (signum, grace) in enumerate(ladder.steps):
            last = n == len(ladder.steps) - 1
            for p, fd in watched:  # the last signal also goes to the group of a leader that ended
                if (p, fd) in running or (last and p.group):
                    _send(p, fd, signum, to_group=last and p.group)
            running = _wait_ended(running, grace, signum.name)
        last_signal = ladder.steps[-1][0].name
        for p, _fd in running:
            log.warning(_("{what} is still running after {signal}").format(what=p.what, signal=last_signal))
        return [p for p, _fd in running]
    finally:
        for fd in opened:
            os.close(fd)


def _send(p: Process, fd: int | None, signum: signal.Signals, to_group: bool) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if to_group and p.pid is not None:
            os.killpg(p.pid, signum)
        elif fd is not None:
            signal.pidfd_send_signal(fd, signum)
        else:
            return
        log.debug("%s: %s sent%s", p.what, signum.name, " to its process group" if to_group else "")


def _wait_ended(running: Sequence[tuple[Process, int]], grace: float, after: str) -> list[tuple[Process, int]]:
    """Those of `running` that have not ended within `grace` seconds (0: a look, no wait)."""
    deadline = time.monotonic() + grace
    left = list(running)
    while left:
        fds = [fd for _p, fd in left]
        ended = set(select.select(fds, [], [], max(0.0, deadline - time.monotonic()))[0])
        for p, fd in left:
            if fd in ended:
                log.debug("%s ended (%s)", p.what, after)
        left = [(p, fd) for p, fd in left if fd not in ended]
        if not ended or time.monotonic() >= deadline:
            break
    return left


# kill(2) with -1: every process the sender may signal; none left (ESRCH) is the usual end of a scenario
KILL_ALL = "import os, signal\ntry:\n    os.kill(-1, signal.SIGKILL)\nexcept ProcessLookupError:\n    pass\n"


def kill_uid(uid: int, python: str) -> None:
    """SIGKILL every process of `uid` (a process-backend scenario's) at once: kill(-1) sent by a process
    that took the uid, which the kernel delivers in one pass to every process of that uid (the sender
    aside), so that a fork bomb cannot outrun it and no other uid is touched (docs/kernel.md, "Inside
    someone else's container"). The sender is a child that takes the uid before it starts (setpriv):
    this process has threads, and does not fork without exec. `python`: one that the uid may run."""
    subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", python, "-I", "-c", KILL_ALL],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, timeout=30)
    log.debug("every process of uid %d: SIGKILL sent", uid)


def remove_cgroups(dirs: Iterable[Path], within: float = CLOSE_WITHIN) -> None:
    """Remove cgroups, in turn: what is left in each is killed, and waited for (end_processes);
    one still busy after `within` s is left (to the class run's sweep, sweep_cgroups)."""
    deadline = time.monotonic() + within
    for d in dirs:
        while True:
            try:
                d.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    break
                end_processes(d, deadline)


def end_processes(d: Path, deadline: float) -> None:
    """Kill every process of cgroup `d` and wait until each has exited (its task has then left the
    cgroup), `deadline` (time.monotonic()) at the latest."""
    pids: list[int] = []
    with contextlib.suppress(OSError):
        if (d / "cgroup.kill").exists():  # v2: every process of it, those forked meanwhile too
            (d / "cgroup.kill").write_text("1")
        pids = [int(pid) for pid in (d / "cgroup.procs").read_text().split()]
    stop([Process(f"process {pid} of cgroup {d.name}", pid=pid) for pid in pids],
         Ladder(((signal.SIGKILL, max(0.0, deadline - time.monotonic())),)))
    if not pids:  # listed no more, not yet gone from the cgroup (a task being moved out)
        os.sched_yield()


def sweep_cgroups(run: str, within: float) -> None:
    """Remove the cgroups of run `run` (RUN_ENV's value, 12 characters) that are left (v2, then v1's)."""
    if run:
        remove_cgroups([*CGROUPS.glob(f"labgrade-{run}-*"), *CGROUPS.glob(f"*/labgrade-{run}-*")], within=within)
