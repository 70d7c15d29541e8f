"""The step interpreter: a scenario's steps, executed in order against real programs and sockets.

Every step either returns (its condition held, the moment it held) or raises `StepFailed` with
what was expected and what was observed. A step that names `each: N` acts on N endpoints at
once ("c{i}" for i = 1..N): the N connects, sends or expectations run concurrently and the
step waits for all of them. Every wait has a deadline: the step's `within`, capped by the
scenario's own budget.
"""

from __future__ import annotations

import os
import random
import re
import signal
from collections.abc import Callable
from typing import Any, ClassVar

from . import probes
from .endpoints import Conn, Listener, Program
from .loop import Deadline, Loop
from .matching import MATCHED, MISMATCH, Match, describe_mismatch, match_contains, match_exact, match_lines, show
from .transcript import Transcript

# A probe bound: an integer, or a saved measure's name plus or minus an integer ("fds_before + 1").
BOUND_RE = re.compile(r"\s*([A-Za-z_]\w*)\s*(?:([+-])\s*(\d+))?\s*")
SETTLE = 0.3  # seconds a busy server is watched for accept()s it should not make (a negative has no event)
DEFAULT_WITHIN = 3.0  # seconds; a correct program answers in milliseconds, only failures pay this
START_WITHIN = 10.0  # interpreter start-up on a loaded machine, plus the program's own set-up


class StepFailed(Exception):
    """The student's program did not do what the step requires (a verdict, not a grader fault)."""

    def __init__(self, message: str, expected: str = "", observed: str = "") -> None:
        super().__init__(message)
        self.message, self.expected, self.observed = message, expected, observed


def _names(args: dict[str, Any], key: str = "as") -> list[str]:
    name = str(args[key])
    count = args.get("each")
    return [name.replace("{i}", str(i)) for i in range(1, count + 1)] if count else [name]


def _text(value: str, args: dict[str, Any], i: int) -> bytes:
    return (value.replace("{i}", str(i)) if args.get("each") else value).encode("utf-8")


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    if word.endswith("child"):
        return f"{n} {word[:-5]}children"
    return f"{n} {word}{'es' if word.endswith('s') else 's'}"


class Runner:
    def __init__(self, plan: dict[str, Any], loop: Loop, log: Transcript) -> None:
        self.plan, self.loop, self.log = plan, loop, log
        self.host: str = plan.get("host", "127.0.0.1")
        self.first_port: int = plan["port"]
        self.ports: dict[str, int] = {}  # server or listener name -> its port (first_port, +1, ...)
        self.listeners: dict[str, Listener] = {}
        self.conns: dict[str, Conn] = {}
        self.programs: dict[str, Program] = {}
        self.saved: dict[str, int] = {}
        self.deadline = Deadline.after(float(plan["timeout"]))
        self.spawn: Callable[..., Program] = plan["_spawn"]
        loop.on_child_exit = self._children_exited

    # -- helpers --------------------------------------------------------------------------
    def _children_exited(self) -> None:
        mine = {p.pid: p for p in self.programs.values()}
        while True:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return
            if info is None:
                return
            prog = mine.get(info.si_pid)
            if prog is not None:
                prog.proc.poll()
                prog.log_exit()
                del mine[info.si_pid]
            else:  # an orphan reparented to us (we are PID 1): reap it so it frees its pid
                os.waitpid(info.si_pid, 0)

    def within(self, args: dict[str, Any], default: float = DEFAULT_WITHIN) -> Deadline:
        return Deadline.after(float(args.get("within", default)), self.deadline)

    def conn(self, name: str) -> Conn:
        if name not in self.conns:
            raise StepFailed(f"no client named {name!r} was connected before this step")
        return self.conns[name]

    def program(self, name: str) -> Program:
        if name not in self.programs:
            raise StepFailed(f"no program named {name!r} was started before this step")
        return self.programs[name]

    def bound(self, value: int | str) -> int:
        """A probe bound: an integer, or a saved measure plus or minus an integer ("fds_before + 1")."""
        if isinstance(value, int):
            return value
        m = BOUND_RE.fullmatch(value)
        if not m or m.group(1) not in self.saved:
            raise StepFailed(f"unknown saved measure in {value!r}")
        base = self.saved[m.group(1)]
        return base + (int(m.group(3)) * (1 if m.group(2) == "+" else -1) if m.group(2) else 0)

    def port_of(self, args: dict[str, Any]) -> int:
        """The port a step aims at: that of `to:` (a server or listener), else the first one started."""
        target = args.get("to")
        if target is None:
            return next(iter(self.ports.values()), self.first_port)
        if target not in self.ports:
            raise StepFailed(f"no server named {target!r} was started before this step")
        return self.ports[target]

    def _new_port(self, name: str) -> int:
        port = self.ports[name] = self.first_port + len(self.ports)
        return port

    # -- steps ----------------------------------------------------------------------------
    def start(self, args: dict[str, Any]) -> None:
        side = args.get("from", "student")
        name = args.get("as", args["program"])
        spec = self.plan["programs"][args["program"]]
        port = self._new_port(name) if spec["kind"] == "server" else self.port_of(args)
        argv = [str(a).replace("{port}", str(port)).replace("{host}", self.host)
                for a in [*spec["argv"], *args.get("args", [])]]
        prog = self.spawn(name, argv, side)
        self.programs[name] = prog
        if spec["kind"] != "server":
            return
        listening = self.loop.wait_until(
            lambda: probes.tcp_listeners().get(port) or (prog.returncode is not None or None),
            self.within(args, START_WITHIN), poll=True,
        )
        if isinstance(listening, tuple):
            self.saved[f"{name}_backlog"] = listening[0]
            self.log.add(name, "listening", f"port {port}, backlog {listening[0]}")
            return
        if prog.returncode is not None:
            prog.drain(self.loop, Deadline.after(0.5, self.deadline))
            raise StepFailed(f"{argv[0]} {prog.exit_text()} before listening on port {port}",
                             expected=f"a socket listening on port {port}", observed=prog.exit_text())
        raise StepFailed(f"{argv[0]} is running but not listening on port {port}",
                         expected=f"listen() on port {port} (the port given as argv[1]) within "
                                  f"{args.get('within', START_WITHIN)} s",
                         observed="no listening socket on that port")

    def listen(self, args: dict[str, Any]) -> None:
        """A scripted server: the grader listens, the student's client connects to it."""
        name = args["as"]
        port = self._new_port(name)
        self.listeners[name] = Listener(name, self.host, port, int(args.get("backlog", 16)), self.loop, self.log)

    def accept(self, args: dict[str, Any]) -> None:
        listener = self.listeners.get(args["of"])
        if listener is None:
            raise StepFailed(f"no listener named {args['of']!r} was started before this step")
        sock = self.loop.wait_until(lambda: listener.pending.popleft() if listener.pending else None,
                                    self.within(args))
        if sock is None:
            raise StepFailed(f"no connection came to {listener.name} within {args.get('within', DEFAULT_WITHIN)} s",
                             expected=f"the client connects to port {listener.port}", observed="no connection")
        self.conns[args["as"]] = Conn(args["as"], self.loop, self.log, sock=sock)

    def _queue_has_room(self, port: int) -> bool | None:
        backlog, queued = probes.tcp_listeners().get(port, (0, 0))
        return True if queued < backlog or not backlog else None

    def connect(self, args: dict[str, Any]) -> None:
        """Connect clients; several are paced so that none is dropped by a full accept queue
        (a dropped SYN is only retried a second later): they still end up connected at once."""
        names = _names(args)
        port = self.port_of(args)
        deadline = self.within(args)
        for n in names:
            if len(names) > 1 and not self.loop.wait_until(lambda: self._queue_has_room(port), deadline, poll=True):
                break
            c = self.conns[n] = Conn(n, self.loop, self.log)
            c.start_connect(self.host, port)
        names = [n for n in names if n in self.conns]
        ok = len(names) == len(_names(args)) and self.loop.wait_until(
            lambda: all(self.conns[n].connected or self.conns[n].error for n in names) or None, deadline)
        failed = [n for n in names if self.conns[n].error]
        if failed:
            raise StepFailed(f"{failed[0]} could not connect to port {port}: {self.conns[failed[0]].error}",
                             expected="the connection accepted", observed=self.conns[failed[0]].error or "")
        if not ok:
            pending = [n for n in _names(args) if n not in self.conns or not self.conns[n].connected]
            backlog, queued = probes.tcp_listeners().get(port, (0, 0))
            seen = (f"the listen queue stayed full ({queued} connections waiting, backlog {backlog}): "
                    f"the server is not calling accept()" if backlog and queued >= backlog else "no answer")
            raise StepFailed(f"{_plural(len(pending), 'connection')} not established within "
                             f"{args.get('within', DEFAULT_WITHIN)} s ({', '.join(pending[:5])})",
                             expected=f"{_plural(len(_names(args)), 'client')} connected", observed=seen)
        # The handshake completes in the kernel; `accepted` also waits for the server's accept()
        # (its accept queue empty), so that a message sent next is due to every client.
        if args.get("accepted") and not self.loop.wait_until(
                lambda: True if probes.tcp_listeners().get(port, (0, 0))[1] == 0 else None, deadline, poll=True):
            waiting = probes.tcp_listeners().get(port, (0, 0))[1]
            raise StepFailed(f"the server did not accept() {_plural(waiting, 'connection')} within "
                             f"{args.get('within', DEFAULT_WITHIN)} s",
                             expected="every connection accepted", observed=f"{waiting} waiting in the listen queue")

    def fill_queue(self, args: dict[str, Any]) -> None:
        """Connect clients one at a time until the kernel drops a SYN (the listen queue is full).

        A connection is established at once on loopback, or its SYN is dropped and the
        namespace's ListenOverflows counter rises at once (linux-probes.md, item 2): whichever
        happens first decides, so no connect timeout is ever waited for. The number established
        is saved; the dropped client is aborted so that it does not get in later by itself."""
        port = self.port_of(args)
        limit = int(args.get("max", 100))
        established = 0
        for i in range(1, limit + 1):
            name = str(args["as"]).replace("{i}", str(i))
            before = probes.listen_overflows()
            c = self.conns[name] = Conn(name, self.loop, self.log)
            c.start_connect(self.host, port)

            def decided(c: Conn = c, before: int = before) -> str | None:
                if c.connected:
                    return "in"
                return "dropped" if probes.listen_overflows() > before else "error" if c.error else None

            verdict = self.loop.wait_until(decided, self.within(args, 1.0), poll=True)
            if verdict == "in":
                established += 1
                continue
            c.close(reset=True)
            del self.conns[name]
            why = {"dropped": "SYN dropped by the kernel: listen queue full (ListenOverflows rose)",
                   "error": f"refused: {c.error}"}.get(str(verdict), "no answer")
            self.log.add(name, "not established", why)
            break
        else:
            self.log.add("grader", "queue never filled", f"{limit} connections established")
        # A busy server leaves them all in its accept queue. One that accepts while "busy" (it
        # forks, or uses threads) drains it, maybe only after the burst filled it: give it
        # SETTLE seconds to show that, and count what it took as capacity too.
        waiting = self.loop.wait_until(
            lambda: q if (q := probes.tcp_listeners().get(port, (0, 0))[1]) < established else None,
            Deadline.after(SETTLE, self.deadline), poll=True)
        if waiting is not None:
            self.log.add("grader", "the server accepted queued connections while busy",
                         f"{established - waiting} of {established}")
            established += established - waiting
        if "save" in args:
            self.saved[args["save"]] = established

    def compare(self, args: dict[str, Any]) -> None:
        """A saved measure against a bound: `compare: {saved: capacity, equals: ref_capacity}`."""
        name = args["saved"]
        if name not in self.saved:
            raise StepFailed(f"no measure named {name!r} was saved before this step")
        value = self.saved[name]
        for key, test in (("at_least", value.__ge__), ("at_most", value.__le__), ("equals", value.__eq__)):
            if key in args and not test(self.bound(args[key])):
                want = f"{key.replace('_', ' ')} {self.bound(args[key])}"
                shown = f" ({args[key]})" if isinstance(args[key], str) else ""
                raise StepFailed(f"{name} is {value}, expected {want}{shown}", expected=want, observed=str(value))

    def send(self, args: dict[str, Any]) -> None:
        names = _names(args)
        for i, n in enumerate(names, 1):
            if "random" in args:
                seed = f"{self.plan.get('seed', 0)}/{n}/{len(self.conn(n).sent)}"
                data = random.Random(seed).randbytes(args["random"])
            else:
                data = _text(args["data"], args, i)
            self.conn(n).send(data)
        done = self.loop.wait_until(
            lambda: all(not self.conns[n].txbuf or self.conns[n].error for n in names) or None, self.within(args))
        for n in names:
            c = self.conns[n]
            if c.error:
                raise StepFailed(f"{n} could not send: {c.error}", expected="the server reads what it is sent",
                                 observed=f"{c.error} after {len(c.sent) - len(c.txbuf)} bytes")
        if not done:
            stuck = next(n for n in names if self.conns[n].txbuf)
            raise StepFailed(f"{stuck} could not send everything: the server stopped reading",
                             expected=f"{len(self.conns[stuck].sent)} bytes accepted",
                             observed=f"{len(self.conns[stuck].txbuf)} bytes still waiting after "
                                      f"{args.get('within', DEFAULT_WITHIN)} s")

    def _expectation(self, args: dict[str, Any], n: str, i: int) -> tuple[Callable[[bytes], Match], bytes]:
        """What `expect` waits for on client n: a matcher over its unread bytes, and what to show."""
        c = self.conn(n)
        if "others" in args:  # a line from each of the other clients, in any order
            lines = [str(args["others"]).replace("{j}", str(j)).encode() for j in range(1, args["each"] + 1) if j != i]
            return (lambda rx: match_lines(lines, rx)), b"".join(lines)
        if "lines" in args:
            lines = [str(line).encode() for line in args["lines"]]
            return (lambda rx: match_lines(lines, rx)), b"".join(lines)
        want = bytes(c.sent[c.echo_cursor:]) if args.get("echo") else _text(args["data"], args, i)
        return (lambda rx: match_exact(want, rx)), want

    def expect(self, args: dict[str, Any]) -> None:
        names = _names(args)
        wanted = {n: self._expectation(args, n, i) for i, n in enumerate(names, 1)}
        done: dict[str, int] = {}

        def verdicts() -> bool | None:
            for n in names:
                c = self.conns[n]
                if n in done:
                    continue
                unread = bytes(c.rx[c.cursor:])
                m = wanted[n][0](unread)
                if m.state == MATCHED:
                    done[n] = m.consumed
                elif m.state == MISMATCH:
                    wrong = describe_mismatch(wanted[n][1], unread, m.offset)
                    raise StepFailed(f"{n} received the wrong bytes: {wrong}",
                                     expected=show(wanted[n][1]), observed=show(unread))
                elif c.eof or c.closed:
                    raise StepFailed(f"the connection of {n} was closed after {len(unread)} of {len(wanted[n][1])} "
                                     f"expected bytes" + (f" ({c.error})" if c.error else ""),
                                     expected=show(wanted[n][1]), observed=show(unread))
            return True if len(done) == len(names) else None

        if not self.loop.wait_until(verdicts, self.within(args)):
            late = [n for n in names if n not in done]
            c = self.conns[late[0]]
            got = bytes(c.rx[c.cursor:])
            who = f"{late[0]}" if len(late) == 1 else f"{len(late)} of {len(names)} clients ({', '.join(late[:5])})"
            raise StepFailed(f"{who}: after {args.get('within', DEFAULT_WITHIN)} s, {len(got)} of "
                             f"{len(wanted[late[0]][1])} expected bytes had arrived",
                             expected=show(wanted[late[0]][1]), observed=show(got) if got else "nothing")
        for n in names:
            c = self.conns[n]
            c.cursor += done[n]
            c.echo_cursor = len(c.sent)  # what was sent before an answer is accounted for

    def expect_silence(self, args: dict[str, Any]) -> None:
        """Nothing arrives on these clients for `for` seconds (a fixed window: silence has no event)."""
        names = _names(args)
        window = float(args["for"])
        start = {n: len(self.conn(n).rx) for n in names}
        noisy = self.loop.wait_until(
            lambda: next((n for n in names if len(self.conns[n].rx) > start[n]), None), Deadline.after(window))
        if noisy:
            got = bytes(self.conns[noisy].rx[start[noisy]:])
            raise StepFailed(f"{noisy} received {show(got)} although nothing was due yet",
                             expected=f"nothing for {window} s", observed=show(got))

    def session(self, args: dict[str, Any]) -> None:
        """Clients one after another, each: connect, send `data`, expect it echoed, close."""
        for i, n in enumerate(_names(args), 1):
            one = {"as": n, "within": args.get("within", DEFAULT_WITHIN), **{k: args[k] for k in ("to",) if k in args}}
            self.connect(one)
            self.send({**one, "data": _text(args["data"], args, i).decode()})
            self.expect({**one, "echo": True})
            self.close(one)

    def close(self, args: dict[str, Any], reset: bool = False) -> None:
        for n in _names(args):
            self.conn(n).close(reset=reset)

    def shutdown(self, args: dict[str, Any]) -> None:
        for n in _names(args):
            self.conn(n).shutdown()

    def reset(self, args: dict[str, Any]) -> None:
        self.close(args, reset=True)

    def expect_closed(self, args: dict[str, Any]) -> None:
        names = _names(args)
        if not self.loop.wait_until(lambda: all(self.conn(n).eof for n in names) or None, self.within(args)):
            raise StepFailed(f"the server did not close the connection of {names[0] if len(names) == 1 else names}",
                             expected="end of stream (recv() returns b'')",
                             observed=f"connection still open after {args.get('within', DEFAULT_WITHIN)} s")

    def type(self, args: dict[str, Any]) -> None:
        prog = self.program(args["into"])
        data = b"\x04" if args.get("eof") else str(args["data"]).encode()
        self.log.data(prog.name, "typed", data)
        try:
            prog.type(data)
        except OSError as e:
            raise StepFailed(f"could not type into {prog.name}: {e.strerror}", expected="the program reads stdin",
                             observed=prog.exit_text()) from None

    def expect_output(self, args: dict[str, Any]) -> None:
        prog = self.program(args["of"])
        stream = prog.stderr if args.get("stream") == "stderr" else prog.stdout
        wanted = str(args["data"]).encode()

        def seen() -> int | None:
            m = match_contains(wanted, bytes(stream.data[stream.cursor:]))
            if m.state == MATCHED:
                return m.consumed
            if stream.eof:
                raise StepFailed(f"{prog.name} closed its {stream.name} without printing {show(wanted)}",
                                 expected=show(wanted), observed=show(bytes(stream.data[stream.cursor:])))
            return None

        consumed = self.loop.wait_until(seen, self.within(args))
        if consumed is None:
            got = bytes(stream.data[stream.cursor:])
            raise StepFailed(f"{prog.name} did not print {show(wanted)} on {stream.name} within "
                             f"{args.get('within', DEFAULT_WITHIN)} s", expected=show(wanted),
                             observed=show(got) if got else "nothing")
        stream.cursor += consumed

    def wait_exit(self, args: dict[str, Any]) -> None:
        prog = self.program(args["of"])
        if self.loop.wait_until(lambda: prog.returncode is not None or None, self.within(args)) is None:
            raise StepFailed(f"{prog.name} did not exit within {args.get('within', DEFAULT_WITHIN)} s",
                             expected="the program exits", observed="still running")
        prog.drain(self.loop, Deadline.after(0.5, self.deadline))
        if "code" in args and prog.returncode != args["code"]:
            raise StepFailed(f"{prog.name} {prog.exit_text()}, expected exit code {args['code']}",
                             expected=f"exit code {args['code']}", observed=prog.exit_text())

    def check_stderr(self, args: dict[str, Any]) -> None:
        prog = self.program(args["of"])
        text = bytes(prog.stderr.data).decode("utf-8", "replace")
        lines = [line for line in text.splitlines() if line.strip()]
        if not args.get("traceback", True) and "Traceback (most recent call last)" in text:
            raise StepFailed(f"{prog.name} printed a Python traceback", expected="a one-line error message",
                             observed=show(text.encode(), 300))
        if len(lines) < args.get("min_lines", 0) or len(lines) > args.get("max_lines", len(lines)):
            want = f"{args.get('min_lines', 0)} to {args.get('max_lines', 'any number of')}"
            raise StepFailed(f"{prog.name} wrote {_plural(len(lines), 'line')} on stderr, expected {want}",
                             expected=f"{want} lines", observed=show(text.encode(), 300) if text else "nothing")

    # what each measure counts, as said in feedback: "{who} had 3 zombie children"
    UNITS: ClassVar[dict[str, str]] = {
        "children": "child process", "zombies": "zombie child", "fds": "open file descriptor", "threads": "thread",
        "processes": "process of the submission", "stdout_lines": "line on stdout", "stderr_lines": "line on stderr",
        "output_lines": "line of output",
        "backlog": "listen backlog", "accept_queue": "connection waiting to be accepted",
        "cpu_ms": "ms of CPU time", "wakeups": "voluntary context switch",
    }
    PER_PID: ClassVar[dict[str, Callable[[int], int | None]]] = {
        "children": probes.count_children, "zombies": probes.count_zombies, "fds": probes.count_fds,
        "threads": probes.count_threads, "cpu_ms": probes.cpu_ms,
        "wakeups": probes.voluntary_switches,
    }

    def measure(self, what: str, of: str | None) -> int | None:
        """The current value, or None when `of` has exited (it has no such value any more)."""
        if what == "processes":
            return len(probes.student_processes())
        if what in ("backlog", "accept_queue"):
            queue = probes.tcp_listeners().get(self.port_of({"to": of}))
            return None if queue is None else queue[0 if what == "backlog" else 1]
        prog = self.program(of or "")
        if what in ("stdout_lines", "stderr_lines", "output_lines"):
            both = [prog.stdout, prog.stderr]
            streams = {"stdout_lines": both[:1], "stderr_lines": both[1:]}.get(what, both)
            return sum(1 for s in streams for line in bytes(s.data).splitlines() if line.strip())
        return None if prog.returncode is not None else self.PER_PID[what](prog.pid)

    def probe(self, args: dict[str, Any]) -> None:
        what, of = args["measure"], args.get("of")
        checks = [(k, self.bound(args[k])) for k in ("at_least", "at_most", "equals") if k in args]
        ok = {"at_least": lambda v, b: v >= b, "at_most": lambda v, b: v <= b, "equals": lambda v, b: v == b}
        last: list[int | None] = [None]

        def value() -> int:
            v = last[0] = self.measure(what, of)
            if v is None:
                prog = self.programs.get(of or "")
                raise StepFailed(f"{of} is no longer running, cannot measure its {what}",
                                 expected=f"{of} running", observed=prog.exit_text() if prog else "not listening")
            return v

        if "over" in args:  # a rate: the difference across a fixed window (idleness has no event)
            before = value()
            self.loop.wait_until(lambda: None, Deadline.after(float(args["over"]), self.deadline))
            last[0] = value() - before
            held = all(ok[k](last[0], b) for k, b in checks)
            when = f"over {args['over']} s"
        else:
            def holds() -> bool | None:
                v = value()  # measured even with no bound: `save:` alone records it
                return True if all(ok[k](v, b) for k, b in checks) else None

            held = bool(self.loop.wait_until(holds, self.within(args), poll=True))
            when = f"after {args.get('within', DEFAULT_WITHIN)} s"
        if "save" in args:
            self.saved[args["save"]] = last[0] or 0
        self.log.add(of or "sandbox", f"{what} = {last[0]}" + (f" over {args['over']} s" if "over" in args else ""))
        if not held:
            want = " and ".join(f"{k.replace('_', ' ')} {b}" for k, b in checks)
            who = of or "the sandbox"
            counted = f"a {self.UNITS[what]} of {last[0]}" if what == "backlog" else _plural(last[0] or 0,
                                                                                               self.UNITS[what])
            raise StepFailed(f"{who} had {counted} {when}, expected {want}", expected=want, observed=str(last[0]))

    def expect_blocked(self, args: dict[str, Any]) -> None:
        """While idle, the program's thread waits in one of the allowed system calls (e.g. select).

        /proc/PID/syscall is a racy snapshot (linux-probes.md, item 3): samples taken while the
        task runs are skipped; `samples` blocked ones must all be allowed; two consecutive
        identical samples of another call fail at once, naming the call and its file."""
        prog = self.program(args["of"])
        allowed = set(args["in"])  # families: "select" covers select and pselect6, "poll" poll and ppoll
        needed = int(args.get("samples", 5))
        seen: list[tuple[str, str]] = []

        def sample() -> bool | None:
            if prog.returncode is not None:
                raise StepFailed(f"{prog.name} {prog.exit_text()} while it should be waiting",
                                 expected=f"waiting in {'/'.join(sorted(allowed))}", observed=prog.exit_text())
            now = probes.blocked_in(prog.pid)
            if now is None:
                return None
            seen.append(now)
            if probes.family(now[0]) not in allowed and len(seen) >= 2 and seen[-2] == now:
                where = f"{now[0]}() on {now[1]}" if now[1] else f"{now[0]}()"
                raise StepFailed(f"{prog.name} was waiting in {where}, not in {'/'.join(sorted(allowed))}",
                                 expected=f"blocked in {'/'.join(sorted(allowed))}", observed=f"blocked in {where}")
            good = [x for x in seen if probes.family(x[0]) in allowed]
            return True if len(good) >= needed else None

        if not self.loop.wait_until(sample, self.within(args), poll=True):
            shown = ", ".join(f"{call}" for call, _ in seen[-5:]) or "always running (never blocked)"
            raise StepFailed(f"{prog.name} was not seen waiting in {'/'.join(sorted(allowed))}",
                             expected=f"blocked in {'/'.join(sorted(allowed))}", observed=shown)

    def pause(self, args: dict[str, Any]) -> None:
        """SIGSTOP the program (its children go on): e.g. so that signals from children that end
        meanwhile are pending together when it resumes, as they would be on a busy machine."""
        self.program(args["of"]).signal(signal.SIGSTOP)

    def resume(self, args: dict[str, Any]) -> None:
        self.program(args["of"]).signal(signal.SIGCONT)

    def stop(self, args: dict[str, Any]) -> None:
        self.program(args["of"]).stop(self.loop)

    VERBS: ClassVar[dict[str, str]] = {
        "start": "program", "listen": "as", "connect": "as", "session": "as", "send": "as", "expect": "as",
        "close": "as", "shutdown": "as", "reset": "as", "expect_closed": "as", "type": "into",
        "expect_output": "of", "wait_exit": "of", "check_stderr": "of", "probe": "measure", "stop": "of",
        "pause": "of", "resume": "of",
    }

    def run_step(self, step: dict[str, Any]) -> None:
        ((verb, args),) = step.items()
        if not isinstance(args, dict):  # shorthand: `connect: alice`, `start: server`
            args = {self.VERBS[verb]: args}
        getattr(self, verb)(args)

    def teardown(self) -> None:
        for c in self.conns.values():
            c.close()
        for listener in self.listeners.values():
            listener.sock.close()
        for p in self.programs.values():
            p.stop(self.loop)
        for p in self.programs.values():
            p.drain(self.loop, Deadline.after(0.2))


def describe(step: dict[str, Any]) -> str:
    """A step as a person would say it: 'expect alice: "hello\\n"'."""
    ((verb, args),) = step.items()
    if not isinstance(args, dict):
        return f"{verb} {args}"
    parts = [f"{k}={show(v.encode()) if isinstance(v, str) and k == 'data' else v}" for k, v in args.items()]
    return f"{verb} " + ", ".join(parts)
