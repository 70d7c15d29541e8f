"""When the sandbox has settled: the programs have dealt with everything they were sent.

Theory of operation. Several checks are about what does NOT happen: no byte more after the
expected ones, nothing relayed before a line is complete, no answer to a client waiting in the
listen queue. A fixed window ("nothing within 0.3 s") gives a different verdict on a loaded
machine, where a program may not run at all for 0.3 s. Instead the driver waits for the state
that proves the programs are done (docs/kernel.md, "settled"):
  * no thread of the sandbox (the driver aside) is running or runnable (R) or in an
    uninterruptible wait (D): each waits for an event (a byte, a connection, a signal, a timer);
  * no data is in flight on loopback: every byte a socket sent has been received by its peer
    (tcp_info's bytes_sent and bytes_received; the acknowledgement may come 40 ms later, so
    the send queue itself is not the measure), and no socket holds written bytes that the
    kernel will send by itself (a send() returns before all of a large write left: the rest
    goes from a kernel task, with the program asleep); bytes held back by a full window wait
    for the peer to read, and do not count;
  * the grader has written all it means to: bytes its own connections still hold (a send() the
    kernel took only part of, its TCP memory short) are in flight while the program's end waits
    for them (an empty receive queue);
  * the same socket figures twice in a row, one round of the driver's I/O apart (the two
    readings are not atomic; the grader's own sockets are among them, so what it still reads or
    writes shows as a change).
A program asleep in a select() with a timeout settles too: what it does when the timer fires
is not an answer to what it was sent. A program that never sleeps (busy-waiting) never settles:
callers bound the wait by the CPU time its busy threads have had meanwhile (`BusyCpu`), not by
a wall-clock time, so that a loaded machine, where the program gets less of a CPU, does not
change what it had the time to do.

Quiescent is more: settled, and every sleeping thread waits in a call that only another process
can end (a read, an accept, a wait for a child, select/poll/epoll/futex without a timeout:
syscalls.waits_forever). Then nothing will happen until the grader acts: a step waiting for the
program fails at once, and says why, instead of sitting out its deadline. A sleep or a timeout
is not quiescent: the deadline stays.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import NamedTuple

from . import probes, sockdiag
from .i18n import _, ngettext
from .loop import Deadline
from .tasks import read_tasks


class Snapshot(NamedTuple):
    busy: tuple[tuple[int, int], ...]  # (pid, tid) of threads that may act without being woken
    in_flight: tuple[tuple[int, int, int], ...]  # (from port, to port, bytes) not received yet, or not
    # sent yet though the window lets them go (the kernel sends them later by itself)
    sockets: frozenset[tuple[int, ...]]  # every socket's figures (the grader's own too), to see that nothing moved
    restless: tuple[tuple[int, str], ...] = ()  # (pid, call) asleep, but may wake by itself (with `calls`)
    waiting: tuple[tuple[int, str], ...] = ()  # (pid, call) asleep until another process acts (with `calls`)

    @property
    def quiet(self) -> bool:
        return not self.busy and not self.in_flight

    @property
    def still(self) -> bool:
        """Quiet, and no thread can wake by itself."""
        return self.quiet and not self.restless


def settled(before: Snapshot | None, now: Snapshot) -> bool:
    """Two quiet readings in a row with the same socket figures."""
    return before is not None and before.quiet and now.quiet and before.sockets == now.sockets


def quiescent(before: Snapshot | None, now: Snapshot) -> bool:
    """Settled, and every thread waits for another process to act (snapshots taken with `calls`)."""
    return settled(before, now) and before is not None and before.still and now.still


def take(driver_pid: int, calls: bool = False, held: Iterable[tuple[int, int, int]] = ()) -> Snapshot:
    """The sandbox now. `held`: (local port, remote port, bytes) the grader itself still has to
    write on its connections (a send() that took only part, or none: the kernel's TCP memory is
    short, as when another program floods); they are in flight while the program's end has read
    all it got (it waits for them), and not when its receive queue is full (it stopped reading)."""
    socks = sockdiag.tcp_sockets()
    figures = frozenset((s.state, s.local_port, s.remote_port, s.rqueue, s.wqueue, s.sent or 0, s.received or 0,
                         s.notsent or 0) for s in socks)
    tasks = read_tasks(driver_pid, calls)
    pending = [(s.local_port, s.remote_port, s.notsent or 0) for s in socks if s.will_send]
    ours = awaited(socks, held)
    return Snapshot(tasks.busy, (*sockdiag.in_flight(socks), *pending, *ours), figures, tasks.restless, tasks.waiting)


def awaited(sockets: list[sockdiag.TcpSocket], held: Iterable[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The grader's unwritten bytes (`held`: local port, remote port, bytes) that the program's end
    is ready for: it is there, and has read all it got (a full receive queue: it stopped reading,
    and those bytes wait on it, not on the grader)."""
    return [(local, remote, n) for local, remote, n in held
            if n and (peer := sockdiag.peer_of(sockets, local, remote)) is not None and peer.rqueue == 0]


class BusyCpu:
    """The CPU time that the threads keeping the sandbox from settling have had in one wait, each
    from when it was first seen busy (/proc/PID/task/TID/schedstat, in ns), against what each is
    given: `starting` for a program that may still be starting its interpreter (its first thread,
    after an exec), `running` for a thread of a program that was already up (probes.running_interpreter:
    a forked child, a thread started by running code), which has only the last step to react to. A
    forked child seen to exec meanwhile is starting from then on."""

    def __init__(self, starting: float, running: float) -> None:
        self.starting, self.running = starting, running
        self.first: dict[tuple[int, int], int] = {}
        self.last: dict[tuple[int, int], int] = {}
        self.up: dict[tuple[int, int], bytes | None] = {}  # a thread -> its process's auxv while it runs
        # an interpreter already up (b"" for a thread started by running code), None: it may be starting

    def spent(self, snap: Snapshot) -> tuple[bool, float]:
        """(whether every thread busy in `snap` has had what it is given, what every thread seen
        busy has had in all, in seconds); not every one when no thread is busy (bytes in flight)
        or one has just ended."""
        each: list[bool] = []
        for thread in snap.busy:
            ns = probes.thread_cpu_ns(*thread)
            if ns is not None:
                self.last[thread] = ns
            if thread not in self.up:
                self.up[thread] = probes.running_interpreter(*thread)
            elif self.up[thread] and probes.auxv(thread[0]) != self.up[thread]:  # it exec'd since
                self.up[thread] = None
                if ns is not None:
                    self.first[thread] = ns
            given = self.starting if self.up[thread] is None else self.running
            each.append(ns is not None and (ns - self.first.setdefault(thread, ns)) / 1e9 >= given)
        total = sum(ns - self.first[thread] for thread, ns in self.last.items())
        return bool(each) and all(each), total / 1e9


STALE_LOOK = 0.01  # seconds between two looks at a thread that is ready to run and has not run since the last one
UNCOUNTED = 0.05  # seconds at the start of a span not counted in its own time: a reading of the sandbox's threads
# costs ~0.3 ms, and most waits are over before this


class OwnTime(Deadline):
    """A span of the sandbox's own time, such as a step's `within`. Each time it runs out, it is
    moved back by how long the sandbox's thread that waited longest for a CPU since the span
    began was ready to run but not running (probes.schedstats), less the CPU time the sandbox's
    other threads had meanwhile (its own threads taking the CPUs, e.g. children that never sleep,
    are the program's doing, not the machine's). The kernel adds a wait up when the thread gets
    a CPU: a thread ready to run that has not run since the last look is waiting now, and the
    span is held STALE_LOOK at a time until it runs. A loaded machine, where a program may not
    run for a second or more while it is ready, makes the grader wait longer for what the
    program does, and does not change what it had the time to do. Bounded by `cap` (the
    scenario's deadline). The threads are first read when a wait looks at its deadline UNCOUNTED
    after it began, or when the span runs out: a wait over before (most of them) costs nothing,
    and those first 50 ms are wall time."""

    def __init__(self, seconds: float, cap: Deadline) -> None:
        super().__init__(Deadline.after(seconds, cap).at)
        self.cap, self.began = cap, time.monotonic()
        self.start: dict[tuple[int, int], tuple[int, int]] = {}
        self.seen: dict[tuple[int, int], tuple[int, int]] | None = None  # the last look
        self.held = 0.0  # a point in time the span lasts until, for a thread waiting now
        self.added = 0.0  # seconds added so far
        self.slowest: int | None = None  # the pid of the thread that waited the longest

    def remaining(self) -> float:
        now = time.monotonic()
        if self.seen is None:
            if now < min(self.began + UNCOUNTED, self.at):
                return self.at - now
            self.start = self.seen = probes.schedstats()
        if max(self.at, self.held) > now or self.at >= self.cap.at:
            return self._left(now)
        stats = probes.schedstats()
        waited, pid = self.waited(stats)
        if waited - self.added >= 0.001:
            self.at += waited - self.added
            self.added, self.slowest = waited, pid
        if any(thread in self.seen and ran == self.seen[thread][0] and probes.thread_ready(*thread)
               for thread, (ran, _) in stats.items()):
            self.held = now + STALE_LOOK
        self.seen = stats
        return self._left(now)

    def _left(self, now: float) -> float:
        return max(0.0, min(max(self.at, self.held), self.cap.at) - now)

    def waited(self, now: dict[tuple[int, int], tuple[int, int]]) -> tuple[float, int | None]:
        """(seconds the span has lost to the machine's load, the pid of the thread that lost them)."""
        ran = {thread: r - self.start.get(thread, (0, 0))[0] for thread, (r, _) in now.items()}
        lost = {thread: w - self.start.get(thread, (0, 0))[1] for thread, (_, w) in now.items()}
        if not lost:
            return 0.0, None
        slowest = max(lost, key=lambda thread: lost[thread])
        others = sum(ns for thread, ns in ran.items() if thread != slowest)
        return max(0, lost[slowest] - others) / 1e9, slowest[0]


def waiting_text(snap: Snapshot, names: dict[int, str]) -> str:
    """'server waits in accept4(); cli waits in read()' (`names`: pid -> program name)."""
    seen: dict[str, str] = {}
    for pid, call in snap.waiting:
        who = names.get(pid) or _("process {pid}").format(pid=pid)
        seen.setdefault(_("{who} waits in {call}()").format(who=who, call=call), "")
    return "; ".join(list(seen)[:6]) or _("every program has ended")


def describe(snap: Snapshot) -> str:
    """Why a snapshot is not quiet, for the transcript ('2 threads running; 120 bytes in flight')."""
    parts = []
    if snap.busy:
        parts.append(ngettext("{n} thread running (pid {pids})", "{n} threads running (pid {pids})",
                              len(snap.busy)).format(n=len(snap.busy),
                                                     pids=", ".join(str(busy[0]) for busy in snap.busy[:3])))
    if snap.in_flight:
        parts.append(_("{count} bytes in flight").format(count=sum(flight[2] for flight in snap.in_flight)))
    return "; ".join(parts) or _("nothing moving")
