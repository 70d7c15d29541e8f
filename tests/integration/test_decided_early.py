"""Windows that end as soon as their outcome is certain, in the local sandbox with the real
driver: a probe over a window (CPU time, wake-ups) ends when the sandbox is quiescent or when a
counter is past its bound, and only a program asleep with a timer sits the window out; a busy
server's listen queue is judged once the sandbox has settled; a program that never sleeps is
given CPU time, not wall time, to settle."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from grader.sandbox import Sandbox
from tests.integration.test_sandbox import run_server

# a one-thread server on select(), as in lab 5; TIMEOUT is replaced per test
SELECT_SERVER = """
    import select, socket, sys
    TIMEOUT = {timeout}
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", int(sys.argv[1])))
    listener.listen(5)
    clients = []
    while True:
        ready, _, _ = select.select([listener, *clients], [], [], *([] if TIMEOUT is None else [TIMEOUT]))
        for s in ready:
            if s is listener:
                clients.append(listener.accept()[0])
            elif not s.recv(4096):
                clients.remove(s)
                s.close()
"""
IDLE = [{"start": "server"}, {"connect": {"as": "c{i}", "each": 2, "accepted": True}}]


def events(outcome: dict[str, Any]) -> list[str]:
    return [" ".join(str(part) for part in e).strip() for e in outcome["transcript"]["events"]]


def probe_over(measure: str, at_most: int, over: float = 10.0) -> dict[str, Any]:
    return {"probe": {"measure": measure, "of": "server", "over": over, "at_most": at_most}}


@pytest.mark.parametrize("measure", ["cpu_ms", "wakeups"])
def test_a_server_asleep_in_select_without_timeout_passes_when_quiescent(local_sandbox: Sandbox, tmp_path: Path,
                                                                         measure: str) -> None:
    out = run_server(local_sandbox, tmp_path, SELECT_SERVER.format(timeout=None),
                     steps=[*IDLE, probe_over(measure, 50)])
    assert out["status"] == "passed", out
    said = [e for e in events(out) if f"{measure} = " in e]
    assert len(said) == 1 and re.search(r"after which nothing more could happen \(server waits in p?select6?\(\)\)$",
                                        said[0]), said


def test_a_busy_waiting_server_fails_as_soon_as_it_is_past_the_bound(local_sandbox: Sandbox, tmp_path: Path) -> None:
    out = run_server(local_sandbox, tmp_path, SELECT_SERVER.format(timeout=0.001),
                     steps=[*IDLE, probe_over("wakeups", 20)])
    assert out["status"] == "failed" and out["verdict"]["step"] == 2, out
    assert "voluntary context switches within the first" in out["verdict"]["reason"], out["verdict"]["reason"]
    assert out["verdict"]["reason"].endswith("of 10.0 s, expected at most 20"), out["verdict"]["reason"]


def test_a_server_asleep_with_a_timer_sits_the_window_out(local_sandbox: Sandbox, tmp_path: Path) -> None:
    """Not quiescent (its timer wakes it), under its bound: only the window can say so."""
    out = run_server(local_sandbox, tmp_path, SELECT_SERVER.format(timeout=0.5),
                     steps=[*IDLE, probe_over("wakeups", 20, over=1.0)])
    assert out["status"] == "passed", out
    said = [e for e in events(out) if "wakeups = " in e]
    assert len(said) == 1 and said[0].endswith("over 1.0 s"), said


@pytest.mark.parametrize(("style", "took"), [("iterative", False), ("thread per client", True)])
def test_a_busy_servers_queue_is_judged_once_the_sandbox_has_settled(local_sandbox: Sandbox, tmp_path: Path,
                                                                     style: str, took: bool) -> None:
    serve = "threading.Thread(target=serve, args=(c,)).start()" if took else "serve(c)"
    code = f"""
        import socket, sys, threading
        def serve(c):
            while data := c.recv(4096):
                c.sendall(data)
            c.close()
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("", int(sys.argv[1])))
        listener.listen(2)
        while True:
            c, _ = listener.accept()
            {serve}
    """
    out = run_server(local_sandbox, tmp_path, code, steps=[
        {"start": "server"}, {"connect": "holder"}, {"send": {"as": "holder", "data": "busy\n"}},
        {"expect": {"as": "holder", "data": "busy\n"}},
        {"fill_queue": {"as": "q{i}", "max": 20, "save": "capacity"}}])
    assert out["status"] == "passed", out
    said = events(out)
    assert not [e for e in said if "did not settle" in e], said
    assert any("accepted queued connections while busy" in e for e in said) == took, said
    assert (out["saved"]["capacity"] > 3) == took, out["saved"]  # backlog 2: the kernel queues 3


# a server that echoes one line, then never sleeps: it starts SPINNERS spinning children, spins
# until its thread has had NEED seconds of CPU time, sends one line more, and spins on
LATE_ANSWER = """
    import os, socket, sys, time
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", int(sys.argv[1])))
    listener.listen(5)
    c, _ = listener.accept()
    c.sendall(c.recv(100))
    for _ in range({spinners}):
        if os.fork() == 0:
            while True:
                pass
    start = time.thread_time()
    while time.thread_time() - start < {need}:
        pass
    c.sendall(b"late\\n")
    while True:
        pass
"""
ECHO_ONCE = [{"start": "server"}, {"connect": "c"}, {"send": {"as": "c", "data": "hi\n"}},
             {"expect": {"as": "c", "data": "hi\n"}}, {"close": "c"}]


@pytest.mark.parametrize("spinners", [0, 8])
def test_a_program_that_never_sleeps_has_the_same_cpu_time_to_answer_whatever_its_share(
        local_sandbox: Sandbox, tmp_path: Path, spinners: int) -> None:
    """Before closing c, the grader waits for the sandbox to settle, which a busy loop never does:
    it waits until each busy thread has had its CPU time (runner.SETTLE_CPU), not for a wall-clock
    time, so the answer sent after 30 ms of CPU time is seen even when nine threads share one CPU
    (the sandbox's CPU quota), as it would be on a loaded machine."""
    out = run_server(local_sandbox, tmp_path, LATE_ANSWER.format(spinners=spinners, need=0.03), steps=ECHO_ONCE)
    assert out["status"] == "failed" and out["verdict"]["step"] == 4, out
    assert "c received 5 bytes more than expected, after the expected ones: 'late\\n'" in out["verdict"]["reason"], out


def test_a_program_that_never_sleeps_is_waited_for_as_long_as_its_cpu_time_not_longer(
        local_sandbox: Sandbox, tmp_path: Path) -> None:
    """The bound is CPU time: an answer that needs ten times SETTLE_CPU comes after the check (on
    an idle machine, within a wall-clock second), and the transcript says why the check went on."""
    out = run_server(local_sandbox, tmp_path, LATE_ANSWER.format(spinners=0, need=0.5), steps=ECHO_ONCE)
    assert out["status"] == "passed", out
    said = events(out)
    assert any("the sandbox did not settle once its busy threads had had their CPU time" in e for e in said), said


# a forking server whose child echoes one line, then never sleeps: it spins until it has had NEED
# seconds of CPU time, sends one line more, and spins on, in a new interpreter; HOW is when the child
# execs it: at once, or once it has echoed and spun for 8 ms of CPU time in the server's
LATE_CHILD = """
    import os, socket, sys, time
    CHILD = (
        "import socket, sys, time\\n"
        "c = socket.socket(fileno=int(sys.argv[1]))\\n"
        "if len(sys.argv) < 3:\\n"
        "    c.sendall(c.recv(100))\\n"
        "start = time.thread_time()\\n"
        "while time.thread_time() - start < {need}:\\n"
        "    pass\\n"
        "c.sendall(b'late\\\\n')\\n"
        "while True:\\n"
        "    pass\\n"
    )
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", int(sys.argv[1])))
    listener.listen(5)
    c, _ = listener.accept()
    if os.fork() == 0:
        os.set_inheritable(c.fileno(), True)
        if "{how}" == "exec":
            os.execv(sys.executable, [sys.executable, "-c", CHILD, str(c.fileno())])
        c.sendall(c.recv(100))  # exec-later: it echoes, spins for 8 ms of CPU time as the grader looks, then execs
        start = time.thread_time()
        while time.thread_time() - start < 0.008:
            pass
        os.execv(sys.executable, [sys.executable, "-c", CHILD, str(c.fileno()), "echoed"])
    c.close()
    while True:
        listener.accept()[0].close()
"""


@pytest.mark.parametrize("how", ["exec", "exec-later"])
def test_a_child_that_execs_is_given_the_cpu_time_of_a_start(local_sandbox: Sandbox, tmp_path: Path, how: str) -> None:
    """A thread that never sleeps gets SETTLE_CPU of CPU time to answer when it may be starting an
    interpreter, SETTLE_CPU_UP when it runs in one already up (tests/unit/test_settle.py): a child
    that exec'd is waited for, also when it execs while the grader waits (seen busy in its parent's
    interpreter first, then in a new one, whose start is what it needs). Its answer comes before
    the bound, on the side that a loaded machine cannot move it across (the grader may look late,
    giving it more CPU time, never early). A forked child's own bound is not tested here: its answer
    would have to come after the bound, where a grader starved of CPU looks late."""
    need = 0.0 if how == "exec-later" else 0.045  # after an exec, the interpreter's start is the wait (~25 ms)
    out = run_server(local_sandbox, tmp_path, LATE_CHILD.format(how=how, need=need), steps=ECHO_ONCE)
    assert out["status"] == "failed" and out["verdict"]["step"] == 4, out
    assert "c received 5 bytes more than expected, after the expected ones: 'late\\n'" in out["verdict"]["reason"]


def test_a_server_that_accepts_slowly_but_steadily_gets_every_client(local_sandbox: Sandbox, tmp_path: Path) -> None:
    """`connect`'s `within` is how long the server may take no connection, not how long 20 may
    take: one that accepts a client every 0.25 s (a server starved of CPU by its own children, on
    a loaded machine) is slow, not failing; it needs 5 s for 20, past the 3 s default."""
    code = """
        import socket, sys, time
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("", int(sys.argv[1])))
        listener.listen(1)
        held = []
        while True:
            held.append(listener.accept()[0])
            time.sleep(0.25)
    """
    out = run_server(local_sandbox, tmp_path, code, steps=[
        {"start": "server"}, {"connect": {"as": "c{i}", "each": 20, "accepted": True}}])
    assert out["status"] == "passed", out.get("verdict")
    assert sum(e.endswith(" connected") for e in events(out)) == 20, events(out)


STARVED_ECHO = """
    import os, socket, sys, time
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", int(sys.argv[1])))
    listener.listen(1)
    conn = listener.accept()[0]
    line = conn.recv(100)
    os.sched_setaffinity(0, {0})  # on the CPU that programs of the machine keep busy
    work = time.process_time() + 0.05  # 50 ms of CPU: ~1 s of waiting for the CPU
    while time.process_time() < work:
        pass
    conn.sendall(line)
    conn.recv(100)
"""
HOGS = """
import os, time
os.sched_setaffinity(0, {0})
first = os.getpid()
for _ in range(15):
    if os.fork() == 0:
        os.setsid()  # a scheduling group of its own where sessions have one (autogroup), as the sandbox has
        break
while time.process_time() < 60 and first in (os.getpid(), os.getppid()):  # the first one, or its children
    pass
"""


def test_a_program_ready_to_run_but_without_a_cpu_has_its_within(local_sandbox: Sandbox, tmp_path: Path) -> None:
    """A machine loaded by others, where a program ready to run waits seconds for a CPU, delays
    a verdict and does not change it: `within` counts the sandbox's own time (settle.OwnTime).
    Here the server answers after 50 ms of CPU time, on a CPU that 16 programs of the machine
    (outside the sandbox, whose scheduling group gets a 17th of it) keep busy: ~1 s, and the
    0.3 s `within` is moved back for as long as it waited."""
    hogs = subprocess.Popen([sys.executable, "-c", HOGS], start_new_session=True)
    try:
        out = run_server(local_sandbox, tmp_path, STARVED_ECHO, steps=[
            {"start": "server"}, {"connect": "c"}, {"send": {"as": "c", "data": "hi\n"}},
            {"expect": {"as": "c", "data": "hi\n", "within": 0.3}}])
    finally:
        hogs.kill()  # its children stop once they are orphans
        hogs.wait()
    assert out["status"] == "passed", out.get("verdict")
