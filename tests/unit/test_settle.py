"""The settling rule on fabricated states (asleep and nothing in flight, twice alike), and the CPU
time given to threads that never sleep, on real ones."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from grader.driver import probes
from grader.driver.loop import Deadline
from grader.driver.settle import BusyCpu, OwnTime, Snapshot, awaited, describe, settled
from grader.driver.sockdiag import TCP_ESTABLISHED, TCP_LISTEN, TcpSocket, in_flight
from tests.waiting import wait_for

QUIET = Snapshot(busy=(), in_flight=(), sockets=frozenset({(1, 40000, 5000, 0, 0, 6, 6)}))


def test_two_quiet_alike_readings_are_settled() -> None:
    assert settled(QUIET, QUIET)
    assert not settled(None, QUIET)  # one reading proves nothing


def test_a_running_thread_data_in_flight_or_a_change_is_not_settled() -> None:
    running = Snapshot(busy=((12, 12),), in_flight=(), sockets=QUIET.sockets)
    flying = Snapshot(busy=(), in_flight=((40000, 5000, 3),), sockets=QUIET.sockets)
    moved = Snapshot(busy=(), in_flight=(), sockets=frozenset({(1, 40000, 5000, 0, 0, 9, 9)}))
    for other in (running, flying):
        assert not settled(QUIET, other) and not settled(other, QUIET)
    assert not settled(QUIET, moved)  # what the grader read or wrote between the readings
    assert describe(running) == "1 thread running (pid 12)" and describe(flying) == "3 bytes in flight"
    assert describe(QUIET) == "nothing moving"


def sock(local: int, remote: int, sent: int | None, received: int | None, state: int = TCP_ESTABLISHED) -> TcpSocket:
    return TcpSocket(state, local, remote, 0, 0, 0, sent, received, 0)


def test_in_flight_pairs_both_ends_of_a_loopback_connection() -> None:
    assert in_flight([sock(40000, 5000, 10, 4), sock(5000, 40000, 4, 7)]) == [(40000, 5000, 3)]  # 40000 sent 10
    assert in_flight([sock(40000, 5000, 10, 4), sock(5000, 40000, 4, 10)]) == []
    assert in_flight([sock(40000, 5000, 10, 4), sock(5000, 40000, 4, 11)]) == []  # 10 bytes, then a FIN
    assert in_flight([sock(40000, 5000, 10, 0)]) == []  # the other end is not in this namespace
    assert in_flight([sock(40000, 5000, None, None), sock(5000, 40000, None, None)]) == []  # no tcp_info
    assert in_flight([sock(5000, 0, 0, 0, TCP_LISTEN), sock(40000, 5000, 3, 0)]) == []  # a listener is no peer


def test_bytes_the_grader_still_holds_are_in_flight_while_the_program_waits_for_them() -> None:
    """A send() the kernel took none of (its TCP memory short, another program flooding): the
    program blocked in recv() on an empty queue is not done, the grader is still acting. Bytes
    held while the program's queue is full wait on the program (a slow reader): not in flight."""
    reading = TcpSocket(TCP_ESTABLISHED, 5000, 40000, 0, 0, 0, 4, 8, 0)  # the program's end, queue empty
    full = reading._replace(rqueue=65536)
    ours = sock(40000, 5000, 8, 4)
    assert awaited([ours, reading], [(40000, 5000, 20)]) == [(40000, 5000, 20)]
    assert awaited([ours, full], [(40000, 5000, 20)]) == []  # it stopped reading
    assert awaited([ours], [(40000, 5000, 20)]) == []  # its end is gone: nobody waits for them
    assert awaited([ours, reading], [(40000, 5000, 0)]) == []
    held = Snapshot(busy=(), in_flight=tuple(awaited([ours, reading], [(40000, 5000, 20)])), sockets=QUIET.sockets)
    assert not settled(QUIET, held) and not settled(held, QUIET)


@contextlib.contextmanager
def spinning(how: str) -> Iterator[tuple[int, int]]:
    """A thread that never sleeps, as (pid, tid): a thread of this process, the first thread of a
    child forked from it (no exec), or of a child that exec'd an interpreter."""
    if how == "thread":
        stop = threading.Event()

        def spin() -> None:
            while not stop.is_set():
                pass

        thread = threading.Thread(target=spin)
        thread.start()
        try:
            yield os.getpid(), wait_for(lambda: thread.native_id, 10, "the thread's id")
        finally:
            stop.set()
            thread.join()
        return
    if how == "exec":
        with subprocess.Popen([sys.executable, "-c", "while True: pass"]) as proc:
            try:
                yield proc.pid, proc.pid
            finally:
                proc.kill()
        return
    pid = os.fork()
    if pid == 0:
        while True:
            pass
    try:
        yield pid, pid
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


@pytest.mark.parametrize(("how", "given"), [("thread", 0.01), ("fork", 0.01), ("exec", 0.05)])
def test_a_busy_thread_of_a_program_already_up_is_given_less_cpu_time(how: str, given: float) -> None:
    """A settle gives a thread that never sleeps `starting` CPU time to answer when it may be
    starting an interpreter (its process exec'd), `running` when it runs in one that was up (a
    thread started by running code, a child forked without exec)."""
    with spinning(how) as thread:
        busy = BusyCpu(starting=0.05, running=0.01)
        snap = Snapshot(busy=(thread,), in_flight=(), sockets=frozenset())
        wait_for(lambda: busy.spent(snap)[0], 30, f"the {how} to have had its CPU time")
        assert (busy.up[thread] is not None) == (given == 0.01)
        assert (busy.last[thread] - busy.first[thread]) / 1e9 >= given


SPIN = "import os, sys\nos.sched_setaffinity(0, {{{cpu}}})\n{policy}print(flush=True)\nwhile True:\n    pass"


@contextlib.contextmanager
def sandboxed_spinners(policies: list[str], cpu: int) -> Iterator[list[int]]:
    """Programs that never sleep, all on one CPU, that probes.schedstats counts as the sandbox's
    (their bounding set emptied, children of this process: probes.SCOPE); `policies`: "idle"
    (SCHED_IDLE: any other program on that CPU goes first) or "normal"."""
    idle = "os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))\n"
    procs = [subprocess.Popen(["setpriv", "--bounding-set=-all", sys.executable, "-c",
                               SPIN.format(cpu=cpu, policy=idle if policy == "idle" else "")],
                              stdout=subprocess.PIPE) for policy in policies]
    saved = probes.SCOPE[:]
    probes.SCOPE[:] = [os.getpid()]
    try:
        for proc in procs:
            assert proc.stdout and proc.stdout.readline()  # up, on its CPU
        yield [proc.pid for proc in procs]
    finally:
        probes.SCOPE[:] = saved
        for proc in procs:
            proc.kill()
            proc.wait()
            if proc.stdout:
                proc.stdout.close()


def cpu_of(pid: int) -> float:
    return (probes.cpu_ns(pid) or 0) / 1e9


@pytest.mark.skipif(os.geteuid() != 0, reason="emptying a bounding set takes root (the sandbox's programs have none)")
def test_a_span_is_moved_back_by_what_a_program_lost_to_the_machines_load() -> None:
    """A program ready to run while another program of the machine has its CPU (here a hog that
    stops after 0.3 s of CPU, on the CPU of a SCHED_IDLE program, which runs only when nothing
    else would): a step's `within` is moved back by that time, and names the program."""
    with sandboxed_spinners(["idle"], cpu=0) as (pid,):
        span = OwnTime(0, Deadline.after(600))
        span.remaining()  # a wait looks at it: it counts from here
        subprocess.run([sys.executable, "-c", "import os, time\nos.sched_setaffinity(0, {0})\n"
                        "while time.process_time() < 0.3:\n    pass"], check=True)
        ran = cpu_of(pid)  # the kernel adds a wait up once the thread runs (the hog is gone: at once)
        wait_for(lambda: cpu_of(pid) > ran, 30, "the program to run again")
        wait_for(lambda: span.remaining() == 0, 30, "the span to end")
        assert span.added >= 0.25 and span.slowest == pid


@pytest.mark.skipif(os.geteuid() != 0, reason="emptying a bounding set takes root (the sandbox's programs have none)")
def test_a_span_is_not_moved_back_for_the_cpu_the_sandbox_takes_itself() -> None:
    """Two programs of the sandbox that never sleep, on one CPU: each waits while the other runs,
    which is the program's doing (a fork-per-connection server whose children spin), not the
    machine's: the span loses only what other programs of the machine took."""
    with sandboxed_spinners(["normal", "normal"], cpu=0) as pids:
        span = OwnTime(0, Deadline.after(600))
        span.remaining()
        before = {thread: waited for thread, (_, waited) in probes.schedstats().items()}
        wait_for(lambda: all(cpu_of(pid) >= 0.3 for pid in pids), 60, "both spinners to have had 0.3 s of CPU")
        wait_for(lambda: span.remaining() == 0, 30, "the span to end")
        waited = max(w - before.get(thread, 0) for thread, (_, w) in probes.schedstats().items()) / 1e9
        assert waited >= 0.25  # each waited for the other, which had 0.3 s of CPU meanwhile
        assert span.added <= waited - 0.25  # what the machine's other programs took, if anything
