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
from collections.abc import Callable
from typing import Any, ClassVar

from . import probes
from .endpoints import Conn, Program
from .loop import Deadline, Loop
from .matching import MATCHED, MISMATCH, describe_mismatch, match_contains, match_exact, show
from .transcript import Transcript

# A probe bound: an integer, or a saved measure's name plus or minus an integer ("fds_before + 1").
BOUND_RE = re.compile(r"\s*([A-Za-z_]\w*)\s*(?:([+-])\s*(\d+))?\s*")
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
        self.port: int = plan["port"]
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
                self.log.add(prog.name, prog.exit_text())
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

    # -- steps ----------------------------------------------------------------------------
    def start(self, args: dict[str, Any]) -> None:
        side = args.get("from", "student")
        name = args.get("as", args["program"])
        spec = self.plan["programs"][args["program"]]
        argv = [str(a).replace("{port}", str(self.port)).replace("{host}", self.host)
                for a in [*spec["argv"], *args.get("args", [])]]
        prog = self.spawn(name, argv, side)
        self.programs[name] = prog
        if spec["kind"] != "server":
            return
        listening = self.loop.wait_until(
            lambda: probes.tcp_listeners().get(self.port) or (prog.returncode is not None or None),
            self.within(args, START_WITHIN), poll=True,
        )
        if isinstance(listening, tuple):
            self.saved[f"{name}_backlog"] = listening[0]
            self.log.add(name, "listening", f"port {self.port}, backlog {listening[0]}")
            return
        if prog.returncode is not None:
            prog.drain(self.loop, Deadline.after(0.5, self.deadline))
            raise StepFailed(f"{argv[0]} {prog.exit_text()} before listening on port {self.port}",
                             expected=f"a socket listening on port {self.port}", observed=prog.exit_text())
        raise StepFailed(f"{argv[0]} is running but not listening on port {self.port}",
                         expected=f"listen() on port {self.port} (the port given as argv[1]) within "
                                  f"{args.get('within', START_WITHIN)} s",
                         observed="no listening socket on that port")

    def _queue_has_room(self) -> bool | None:
        backlog, queued = probes.tcp_listeners().get(self.port, (0, 0))
        return True if queued < backlog or not backlog else None

    def connect(self, args: dict[str, Any]) -> None:
        """Connect clients; several are paced so that none is dropped by a full accept queue
        (a dropped SYN is only retried a second later): they still end up connected at once."""
        names = _names(args)
        deadline = self.within(args)
        for n in names:
            if len(names) > 1 and not self.loop.wait_until(self._queue_has_room, deadline, poll=True):
                break
            c = self.conns[n] = Conn(n, self.loop, self.log)
            c.start_connect(self.host, self.port)
        names = [n for n in names if n in self.conns]
        ok = len(names) == len(_names(args)) and self.loop.wait_until(
            lambda: all(self.conns[n].connected or self.conns[n].error for n in names) or None, deadline)
        failed = [n for n in names if self.conns[n].error]
        if failed:
            raise StepFailed(f"{failed[0]} could not connect to port {self.port}: {self.conns[failed[0]].error}",
                             expected="the connection accepted", observed=self.conns[failed[0]].error or "")
        if not ok:
            pending = [n for n in _names(args) if n not in self.conns or not self.conns[n].connected]
            backlog, queued = probes.tcp_listeners().get(self.port, (0, 0))
            seen = (f"the listen queue stayed full ({queued} connections waiting, backlog {backlog}): "
                    f"the server is not calling accept()" if backlog and queued >= backlog else "no answer")
            raise StepFailed(f"{_plural(len(pending), 'connection')} not established within "
                             f"{args.get('within', DEFAULT_WITHIN)} s ({', '.join(pending[:5])})",
                             expected=f"{_plural(len(_names(args)), 'client')} connected", observed=seen)

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

    def expect(self, args: dict[str, Any]) -> None:
        names = _names(args)
        wanted = {}
        for i, n in enumerate(names, 1):
            c = self.conn(n)
            wanted[n] = bytes(c.sent[c.echo_cursor:]) if args.get("echo") else _text(args["data"], args, i)

        def verdicts() -> bool | None:
            for n in names:
                c = self.conns[n]
                m = match_exact(wanted[n], bytes(c.rx[c.cursor:]))
                if m.state == MISMATCH:
                    raise StepFailed(f"{n} received the wrong bytes: "
                                     f"{describe_mismatch(wanted[n], bytes(c.rx[c.cursor:]), m.offset)}",
                                     expected=show(wanted[n]), observed=show(bytes(c.rx[c.cursor:])))
                if m.state != MATCHED and (c.eof or c.closed):
                    got = len(c.rx) - c.cursor
                    raise StepFailed(f"the connection of {n} was closed after {got} of {len(wanted[n])} "
                                     f"expected bytes" + (f" ({c.error})" if c.error else ""),
                                     expected=show(wanted[n]), observed=show(bytes(c.rx[c.cursor:])))
            states = [match_exact(wanted[n], bytes(self.conns[n].rx[self.conns[n].cursor:])) for n in names]
            return True if all(s.state == MATCHED for s in states) else None

        if not self.loop.wait_until(verdicts, self.within(args)):
            late = [n for n in names if match_exact(wanted[n], bytes(self.conns[n].rx[self.conns[n].cursor:])).state
                    != MATCHED]
            c = self.conns[late[0]]
            got = bytes(c.rx[c.cursor:])
            who = f"{late[0]}" if len(late) == 1 else f"{len(late)} of {len(names)} clients ({', '.join(late[:5])})"
            raise StepFailed(f"{who}: after {args.get('within', DEFAULT_WITHIN)} s, {len(got)} of "
                             f"{len(wanted[late[0]])} expected bytes had arrived",
                             expected=show(wanted[late[0]]), observed=show(got) if got else "nothing")
        for n in names:
            c = self.conns[n]
            c.cursor += len(wanted[n])
            c.echo_cursor = len(c.sent)  # what was sent before an answer is accounted for

    def session(self, args: dict[str, Any]) -> None:
        """Clients one after another, each: connect, send `data`, expect it echoed, close."""
        for i, n in enumerate(_names(args), 1):
            one = {"as": n, "within": args.get("within", DEFAULT_WITHIN)}
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

    MEASURES: ClassVar[dict[str, tuple[str, Callable[[int], int | None]]]] = {
        "children": ("child process", probes.count_children),
        "zombies": ("zombie child", probes.count_zombies),
        "fds": ("open file descriptor", probes.count_fds),
        "threads": ("thread", probes.count_threads),
    }

    def measure(self, what: str, of: str | None) -> int | None:
        if what == "processes":
            return len(probes.student_processes())
        prog = self.program(of or "")
        if prog.returncode is not None:
            return None
        return self.MEASURES[what][1](prog.pid)

    def probe(self, args: dict[str, Any]) -> None:
        what, of = args["measure"], args.get("of")
        checks = [(k, self.bound(args[k])) for k in ("at_least", "at_most", "equals") if k in args]
        ok = {"at_least": lambda v, b: v >= b, "at_most": lambda v, b: v <= b, "equals": lambda v, b: v == b}
        last: list[int | None] = [None]

        def holds() -> bool | None:
            value = last[0] = self.measure(what, of)
            if value is None:
                prog = self.programs.get(of or "")
                raise StepFailed(f"{of} is no longer running, cannot count its {what}",
                                 expected=f"{of} running", observed=prog.exit_text() if prog else "not started")
            return True if all(ok[k](value, b) for k, b in checks) else None

        held = self.loop.wait_until(holds, self.within(args), poll=True)
        if "save" in args:
            self.saved[args["save"]] = last[0] or 0
        self.log.add(of or "sandbox", f"{what} = {last[0]}")
        if not held:
            unit = self.MEASURES[what][0] if what in self.MEASURES else "process of the submission"
            want = " and ".join(f"{k.replace('_', ' ')} {b}" for k, b in checks)
            where = f"{of} had" if of else "the sandbox held"
            raise StepFailed(f"{where} {_plural(last[0] or 0, unit)} after {args.get('within', DEFAULT_WITHIN)} s, "
                             f"expected {want}", expected=want, observed=str(last[0]))

    def stop(self, args: dict[str, Any]) -> None:
        self.program(args["of"]).stop(self.loop)

    VERBS: ClassVar[dict[str, str]] = {
        "start": "program", "connect": "as", "session": "as", "send": "as", "expect": "as", "close": "as",
        "shutdown": "as", "reset": "as",
        "expect_closed": "as", "type": "into", "expect_output": "of", "wait_exit": "of",
        "check_stderr": "of", "probe": "measure", "stop": "of",
    }

    def run_step(self, step: dict[str, Any]) -> None:
        ((verb, args),) = step.items()
        if not isinstance(args, dict):  # shorthand: `connect: alice`, `start: server`
            args = {self.VERBS[verb]: args}
        getattr(self, verb)(args)

    def teardown(self) -> None:
        for c in self.conns.values():
            c.close()
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
