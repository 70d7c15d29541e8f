"""The step interpreter against real sockets and small real programs, in this process (no sandbox):
how connections end (FIN vs RST), a listener that is gone, silence broken by a close, and waits
that end because a program died."""

from __future__ import annotations

import contextlib
import random
import signal
import socket
import struct
import sys
import termios
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grader.driver.loop import Deadline, Loop
from grader.driver.payload import TEXT, random_text
from grader.driver.program import Program
from grader.driver.steps import Runner, StepFailed
from grader.driver.transcript import Transcript
from grader.driver.wire import Plan

ENV = {"PATH": "/usr/bin:/bin", "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    """A Runner whose programs are the scripts of tmp_path, run with this interpreter."""
    old_handler, old_fd = signal.getsignal(signal.SIGCHLD), signal.set_wakeup_fd(-1)
    loop, log = Loop(), Transcript()

    def spawn(name: str, argv: list[str], origin: str) -> Program:
        return Program(name, [sys.executable, argv[0], *argv[1:]], cwd=str(tmp_path), env=ENV, loop=loop,
                       log=log, origin=origin)

    plan: dict[str, Any] = {"port": free_port(), "timeout": 20, "host": "127.0.0.1",
                            "programs": {"server": {"argv": ["server.py", "{port}"], "kind": "server"},
                                         "client": {"argv": ["client.py", "{host}", "{port}"], "kind": "client"}}}
    r = Runner(Plan.from_json({"type": "plan", "steps": [], "student": {"dir": str(tmp_path)},
                               "reference": {"dir": str(tmp_path)}, **plan}), loop, log, spawn)
    try:
        yield r
    finally:
        r.teardown()
        signal.signal(signal.SIGCHLD, old_handler)
        signal.set_wakeup_fd(old_fd)


def write(folder: Path, name: str, code: str) -> None:
    (folder / name).write_text(textwrap.dedent(code))


def failure(runner: Runner, step: dict[str, Any]) -> StepFailed:
    with pytest.raises(StepFailed) as caught:
        runner.run_step(step)
    return caught.value


# -- how a connection ends ----------------------------------------------------------------------

def connected_pair(runner: Runner) -> socket.socket:
    """A scripted server `srv` with the connection `peer` accepted from a socket of this test."""
    runner.run_step({"listen": {"as": "srv"}})
    sock = socket.create_connection(("127.0.0.1", runner.ports["srv"]))
    runner.run_step({"accept": {"as": "peer", "of": "srv"}})
    return sock


def end(sock: socket.socket, how: str) -> None:
    if how == "reset":
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


@pytest.mark.parametrize(("ended", "expected", "passes"), [
    ("close", None, True), ("close", "close", True), ("close", "reset", False), ("close", "any", True),
    ("reset", None, False), ("reset", "close", False), ("reset", "reset", True), ("reset", "any", True),
])
def test_expect_closed_tells_a_close_from_a_reset(runner: Runner, ended: str, expected: str | None,
                                                  passes: bool) -> None:
    end(connected_pair(runner), ended)
    step = {"expect_closed": {"as": "peer", **({"how": expected} if expected else {})}}
    if passes:
        runner.run_step(step)
        return
    e = failure(runner, step)
    seen = "reset (RST)" if ended == "reset" else "closed (FIN)"
    assert f"was {seen}" in e.message and e.observed == seen
    assert e.expected.startswith("an orderly close" if ended == "reset" else "a reset")


def test_bytes_before_the_close_that_nobody_expected_fail(runner: Runner) -> None:
    sock = connected_pair(runner)
    sock.sendall(b"hello\nhello\n")
    runner.run_step({"expect": {"as": "peer", "data": "hello\n"}})
    sock.close()
    e = failure(runner, {"expect_closed": "peer"})
    assert "received 6 bytes more than expected" in e.message and e.observed == "'hello\\n'"


@pytest.mark.parametrize("how", ["close", "reset"])
def test_silence_is_broken_by_the_connection_ending(runner: Runner, how: str) -> None:
    sock = connected_pair(runner)
    end(sock, how)
    e = failure(runner, {"expect_silence": {"as": "peer", "within": 2}})
    assert "should stay open" in e.message
    assert e.observed == ("reset (RST)" if how == "reset" else "closed (FIN)")


def test_silence_is_broken_by_a_byte(runner: Runner) -> None:
    with connected_pair(runner) as sock:
        sock.sendall(b"!")
        e = failure(runner, {"expect_silence": {"as": "peer", "within": 2}})
    assert e.message == "peer received '!' although nothing was due yet"


# -- a listener that is gone, and programs that die -----------------------------------------------

SERVER_EXITS_AFTER_ONE = """
    import socket, sys
    s = socket.create_server(("", int(sys.argv[1])))
    conn, _ = s.accept()
    sys.exit(3)
"""


def test_accepted_fails_when_the_server_died_instead_of_passing(runner: Runner, tmp_path: Path) -> None:
    """A dead listener's queue is empty: it must not read as 'everything accepted'."""
    write(tmp_path, "server.py", SERVER_EXITS_AFTER_ONE)
    runner.run_step({"start": "server"})
    e = failure(runner, {"connect": {"as": "c{i}", "each": 2, "accepted": True}})
    assert "server exited with code 3" in e.message, e.message


def test_accepted_fails_at_once_when_the_listener_goes_away_while_waiting(runner: Runner, tmp_path: Path) -> None:
    write(tmp_path, "server.py", """
        import socket, sys, time
        s = socket.create_server(("", int(sys.argv[1])), backlog=5)
        time.sleep(0.5)     # never accepts: the connections wait in the queue...
        sys.exit(4)         # ...until the listener goes
    """)
    runner.run_step({"start": "server"})
    runner.deadline = Deadline.after(3600)  # beyond the test's own timeout (600 s): the test ends only if the
    # wait ends when the server dies, not at its deadline
    e = failure(runner, {"connect": {"as": "c{i}", "each": 2, "accepted": True, "within": 3600}})
    assert "server exited with code 4" in e.message and "nothing listens" in e.message


def test_a_wait_that_ends_because_a_program_died_says_so(runner: Runner, tmp_path: Path) -> None:
    write(tmp_path, "server.py", """
        import socket, sys
        s = socket.create_server(("", int(sys.argv[1])))
        conn, _ = s.accept()
        conn.recv(100)
        raise SystemExit(7)
    """)
    runner.run_step({"start": "server"})
    runner.run_step({"connect": "alice"})
    runner.run_step({"send": {"as": "alice", "data": "hi\n"}})
    e = failure(runner, {"expect": {"as": "alice", "data": "hi\n"}})
    assert "server exited with code 7 at" in e.message, e.message


# -- the next step begins once the program has dealt with the last one: the same failure every run --
WORK = """
def work(seconds=0.02):  # CPU time, never asleep: the program is still busy when the grader's next step could begin
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass
"""


def test_a_close_is_dealt_with_before_the_next_step(runner: Runner, tmp_path: Path) -> None:
    """A server that dies when a client resets: the next client finds nothing listening, every
    time (before, it could still connect while the server was on its way out)."""
    write(tmp_path, "server.py", WORK + """
import socket, sys, time
s = socket.create_server(("", int(sys.argv[1])))
conn, _ = s.accept()
try:
    conn.recv(100)
except ConnectionResetError:
    work()
    sys.exit(6)
""")
    runner.run_step({"start": "server"})
    runner.run_step({"connect": "alice"})
    runner.run_step({"reset": "alice"})
    e = failure(runner, {"connect": "bob"})
    assert "Connection refused" in e.message and "server exited with code 6" in e.message, e.message


@pytest.mark.parametrize("where", ["connection", "stdout"])
def test_wrong_bytes_are_shown_once_the_program_is_done_sending(runner: Runner, tmp_path: Path, where: str) -> None:
    """A prompt before the line: the failure shows the prompt and the line that followed, every
    time (before, only what had arrived when the first wrong byte did)."""
    say = "conn.sendall" if where == "connection" else "sys.stdout.buffer.write"
    write(tmp_path, "server.py", WORK + f"""
import socket, sys, time
s = socket.create_server(("", int(sys.argv[1])))
conn, _ = s.accept()
{say}(b"> ")
sys.stdout.flush()
work()
{say}(b"first\\n")
sys.stdout.flush()
conn.recv(100)
""")
    runner.run_step({"start": "server"})
    runner.run_step({"connect": "alice"})
    step = {"expect": {"as": "alice", "data": "first\n"}} if where == "connection" else \
        {"expect_output": {"of": "server", "data": "first\n"}}
    e = failure(runner, step)
    assert "received '> first\\n'" in e.message, e.message


def test_pieces_wait_for_what_the_program_does_with_each_one(runner: Runner, tmp_path: Path) -> None:
    """A server that echoes one recv() and closes, after some work: the next piece leaves once it
    has closed (the sandbox settled), so the step fails at piece 2 on the close (FIN), on every
    run; not, as a race allowed before, at piece 3 on a reset or at the next step."""
    write(tmp_path, "server.py", WORK + """
import socket, sys, time
s = socket.create_server(("", int(sys.argv[1])))
conn, _ = s.accept()
conn.send(conn.recv(1024))
work()
conn.close()
s.accept()
""")
    runner.run_step({"start": "server"})
    runner.run_step({"connect": "alice"})
    e = failure(runner, {"send": {"as": "alice", "pieces": ["Jean-", "Loïc", "\n"]}})
    assert e.message == "alice could not send piece 2 of 3: the connection was closed (FIN)", e.message


def test_accept_fails_at_once_when_the_client_program_exits(runner: Runner, tmp_path: Path) -> None:
    write(tmp_path, "client.py", "import sys; sys.exit(5)\n")
    runner.run_step({"listen": {"as": "srv"}})
    runner.run_step({"start": {"program": "client", "as": "cli"}})
    runner.deadline = Deadline.after(3600)  # beyond the test's timeout: it ends only if the wait ends at the exit
    e = failure(runner, {"accept": {"as": "peer", "of": "srv", "within": 3600}})
    assert e.message.startswith("cli exited with code 5 without connecting"), e.message


def test_contains_is_lenient_before_and_after(runner: Runner) -> None:
    with connected_pair(runner) as sock:
        sock.sendall(b"> hello\nand more")
        runner.run_step({"expect": {"as": "peer", "contains": "hello\n"}})
        assert runner.conns["peer"].unread == b"and more"
        runner.check_nothing_unexpected(list(runner.conns.values()))  # not judged: no failure
        runner.run_step({"expect": {"as": "peer", "data": "and more"}})  # an exact one judges again
        sock.sendall(b"!")
        e = failure(runner, {"close": "peer"})
    assert "received 1 byte more than expected" in e.message


# -- standard input ------------------------------------------------------------------------------

def test_a_typed_line_is_in_the_input_queue_when_type_returns(runner: Runner, tmp_path: Path) -> None:
    """A pty delivers what is written to its master from a kernel work item (docs/kernel.md):
    without the poll that runs it, a line is not there yet about one time in ten, and a program
    asleep in read() would look as if nothing could wake it."""
    write(tmp_path, "client.py", "import signal; signal.pause()\n")
    runner.run_step({"start": {"program": "client", "as": "cli"}})
    cli = runner.programs["cli"]
    for _ in range(300):
        runner.run_step({"type": {"into": "cli", "data": "ça va ?\n"}})
        assert cli.input_pending() == len("ça va ?\n".encode())
        termios.tcflush(cli.pty_slave, termios.TCIFLUSH)


def test_typing_waits_for_the_program_to_have_started(runner: Runner, tmp_path: Path) -> None:
    """A person types into a program that is up: one still setting up (here, computing after its
    connect) gets its line once it waits, so that no test judges how fast it starts."""
    write(tmp_path, "client.py", """
        import select, socket, sys
        sock = socket.create_connection((sys.argv[1], int(sys.argv[2])))
        sum(range(1_000_000))  # setting up: ~13 ms of CPU here, well within what a settle gives a busy
        # thread (runner.SETTLE_CPU, 50 ms; 3_000_000 took 40 ms, and more than 50 ms under load)
        early = select.select([sys.stdin], [], [], 0)[0]
        print("early" if early else "late", sys.stdin.readline().strip(), flush=True)
    """)
    runner.run_step({"listen": "srv"})
    runner.run_step({"start": {"program": "client", "as": "cli"}})
    runner.run_step({"accept": {"as": "peer", "of": "srv"}})
    runner.run_step({"type": {"into": "cli", "data": "bonjour\n"}})
    runner.run_step({"expect_output": {"of": "cli", "data": "late bonjour\n"}})


def test_a_flooded_pipe_is_read_in_one_turn_of_the_loop() -> None:
    """Each turn of the driver's loop also checks the sandbox (a netlink query, /proc): a program
    printing a flood must not wait for one turn per 64 KiB pipe-full, or how soon it gets going
    (a server that prints much, then listens) would depend on the machine's load."""
    import fcntl
    import os

    from grader.driver.program import STREAM_GULP, Stream

    old_fd = signal.set_wakeup_fd(-1)
    r, w = os.pipe()
    try:
        size = fcntl.fcntl(w, 1031, 1 << 20)  # F_SETPIPE_SZ: a pipe that holds 1 MiB (the limit: 1 MiB unprivileged)
        os.set_blocking(w, False)
        written = 0
        with contextlib.suppress(BlockingIOError):
            while written < size:
                written += os.write(w, b"x" * (size - written))
        loop = Loop()
        stream = Stream("server", "stdout", r, loop, Transcript())
        assert loop.pump(5) >= 1
        assert stream.total == written and 65536 < written <= STREAM_GULP * 65536
    finally:
        os.close(w)
        signal.set_wakeup_fd(old_fd)


SLOW_ECHO = """
    import socket, sys, time
    with socket.create_server(("127.0.0.1", int(sys.argv[1]))) as lsock:
        conn, _ = lsock.accept()
        data = b""
        while len(data) < 40:
            data += conn.recv(40)
        for i, byte in enumerate(data):  # a byte every 50 ms: 2 s in all
            if i == STOP_AT:
                time.sleep(60)
            conn.sendall(bytes([byte]))
            time.sleep(0.05)
"""


@pytest.mark.parametrize(("stop_at", "passes"), [(None, True), (10, False)])
def test_expect_waits_on_while_the_bytes_keep_arriving(runner: Runner, tmp_path: Path, stop_at: int | None,
                                                       passes: bool) -> None:
    """`within` is how long nothing may arrive: an echo that trickles in for longer (a server that
    sends byte by byte, on a loaded machine) is waited for, up to the scenario's deadline; one that
    stops arriving fails once `within` passes without a byte."""
    write(tmp_path, "server.py", SLOW_ECHO.replace("STOP_AT", str(stop_at)))
    runner.run_step({"start": "server"})
    runner.run_step({"connect": "alice"})
    runner.run_step({"send": {"as": "alice", "data": "0123456789" * 3 + "abcdefghi\n"}})
    step = {"expect": {"as": "alice", "echo": True, "within": 0.5}}
    if passes:
        runner.run_step(step)
        assert any(e.what == "still arriving" for e in runner.log.events), runner.log.events
    else:
        e = failure(runner, step)
        assert "10 of 40 expected bytes had arrived" in e.message, e.message


SPINNING_SINK = """
import socket, sys
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(5)
conn, _ = listener.accept()
conn.setblocking(False)
while True:  # reads everything, answers nothing, never sleeps
    try:
        if not conn.recv(65536):
            break
    except BlockingIOError:
        pass
"""


def test_a_flood_that_the_program_has_read_whole_ends_at_once(runner: Runner, tmp_path: Path) -> None:
    """Once every byte of the flood is sent and read by the program, nothing can change that: the
    step ends there, even though a program that never sleeps never lets the sandbox settle (it
    used to wait for that until its deadline)."""
    write(tmp_path, "server.py", SPINNING_SINK)
    runner.run_step({"start": "server"})
    runner.run_step({"connect": "alice"})
    runner.run_step({"flood": {"as": "alice", "max": 1 << 20, "within": 3}})
    assert [e for e in runner.log.events if e.what == "flooded 1048576 bytes"], runner.log.events[-3:]


@pytest.mark.parametrize("size", [0, 1, 2, 80, 81, 100_000])
def test_random_text_is_lines_of_printable_ascii_of_the_size_asked(size: int) -> None:
    """`random_text`: exactly `size` bytes, lines of 1 to 79 characters each ended by a newline
    (the last one too), the same text for the same seed (a scenario's data is reproducible)."""
    text = random_text(random.Random("seed"), size)
    assert len(text) == size and text == random_text(random.Random("seed"), size)
    if size:
        assert text.endswith(b"\n") and set(text) <= set(TEXT + b"\n")
        lines = text.split(b"\n")[:-1]
        assert all(len(line) <= 79 for line in lines) and all(lines[:-1])
        assert size < 1000 or len(set(map(len, lines))) > 50  # lengths vary: pieces are cut across lines


def test_accepted_waits_until_the_server_has_dealt_with_the_connection(runner: Runner, tmp_path: Path) -> None:
    """A server that registers each accepted client from a thread, after some work: a line sent
    right after `connect: {accepted: true}` still reaches the newcomer (the step ends once the
    sandbox settled, not as soon as the accept queue is empty)."""
    write(tmp_path, "server.py", "import socket, sys, threading, time\n" + WORK + """
clients = []
def register(conn):
    work(0.005)  # within what a settle gives a thread of a running program (runner.SETTLE_CPU_UP, 10 ms)
    clients.append(conn)
    while data := conn.recv(100):
        for other in list(clients):
            if other is not conn:
                other.sendall(data)
s = socket.create_server(("", int(sys.argv[1])), backlog=5)
while True:
    conn, _ = s.accept()
    threading.Thread(target=register, args=(conn,), daemon=True).start()
""")
    runner.run_step({"start": "server"})
    runner.run_step({"connect": {"as": "alice", "accepted": True}})
    runner.run_step({"connect": {"as": "bob", "accepted": True}})
    runner.run_step({"send": {"as": "alice", "data": "hello\n"}})
    runner.run_step({"expect": {"as": "bob", "data": "hello\n"}})
