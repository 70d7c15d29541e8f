"""The step interpreter's state and the rules every step shares.

Theory of operation. A scenario's steps run in order against real programs and sockets. Every
step either returns (its condition held, the moment it held) or raises `StepFailed` with what
was expected and what was observed. Every wait has a deadline: the step's `within`, capped by
the scenario's own budget. Shared rules:
  * Certain failure: a wait that ends because a program died says so, whichever step waited
    (`annotate`); steps whose event needs a program that has exited fail at once.
  * Certain failure, at once: while a step waits for the program, the sandbox is watched; once
    it is quiescent (settle.py: every thread of it waits for another process, nothing in flight),
    what the step waits for cannot come any more, and the step fails then, saying what each
    program waits in (`wait_for`). Plan `early: false` turns this off (the deadlines decide).
  * Nothing unexpected: bytes a connection received after what the scenario expected on it,
    and output a program printed after its expected output, are failures with expected vs
    observed. They are looked for once the sandbox has settled (settle.py), never after a fixed
    time: before the grader closes such a connection, and when the last step has passed.
The steps themselves are in conn_steps.py (scripted clients and servers; their sending in
send_steps.py, their expectations in expect_steps.py), program_steps.py (the programs: start,
type, output, exit) and measure_steps.py (probes, the listen queue); what a step sends in
payload.py; the sandbox apart from any step (reaping, process names, listen queues) in watch.py.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from . import settle
from .endpoints import Conn, Listener
from .i18n import Nn_, _, ngettext
from .loop import Deadline, Loop
from .matching import show
from .ports import ScenarioPorts
from .program import Program
from .transcript import Transcript
from .watch import SandboxWatch
from .wire import Plan

T = TypeVar("T")

# A probe bound: an integer, or a saved measure's name plus or minus an integer ("fds_before + 1").
BOUND_RE = re.compile(r"\s*([A-Za-z_]\w*)\s*(?:([+-])\s*(\d+))?\s*")
DEFAULT_WITHIN = 3.0  # seconds; a correct program answers in milliseconds, only failures pay this
START_WITHIN = 10.0  # interpreter start-up on a loaded machine, plus the program's own set-up
EXIT_GRACE = 0.3  # seconds from a connection's end to its program's exit, when it exits (seen: the same ms)
QUIET_EVERY = 0.005  # seconds between two looks at whether the sandbox is quiescent (a look costs ~1 ms)
SETTLE_CPU = 0.05  # seconds of CPU time each busy thread of the sandbox may take, never asleep, before the
# grader stops waiting for the sandbox to settle (the implicit "nothing unexpected" checks, `type`,
# `fill_queue`): only a program that never sleeps (busy-waiting) takes that long. Three times what a Python
# program needs to start (~17 ms), twenty-five times what the reference needs to answer a line or fork a
# child (under 2 ms). CPU time, not wall time: on a loaded machine, where the program gets a smaller share of
# a CPU, it gets the same chance to answer
SETTLE_CPU_UP = 0.01  # the same for a thread of a program that was already up: a forked child (os.fork() goes on
# in its parent's interpreter) or a thread started by running code, which starts no interpreter and has only
# the last step to react to: five times what the reference needs to answer a line
SETTLE_CPU_ALL = 1.0  # seconds of CPU time the busy threads may take in all (many spinning children share it)
SETTLE_LIMIT = 5.0  # seconds of the sandbox's own time (settle.OwnTime) the same waits take at most: a thread
# that cannot run gets no CPU time; the bounds in CPU time end the others first

Spawn = Callable[[str, list[str], str], Program]  # (name, argv, origin) -> a started program


class StepFailed(Exception):
    """The student's program did not do what the step requires (a verdict, not a grader fault)."""

    def __init__(self, message: str, expected: str = "", observed: str = "") -> None:
        super().__init__(message)
        self.message, self.expected, self.observed = message, expected, observed


# what steps count, by the word the code names them with
UNITS = {
    "byte": Nn_("{n} byte", "{n} bytes"), "connection": Nn_("{n} connection", "{n} connections"),
    "client": Nn_("{n} client", "{n} clients"), "line": Nn_("{n} line", "{n} lines"),
    "child process": Nn_("{n} child process", "{n} child processes"),
    "zombie child": Nn_("{n} zombie child", "{n} zombie children"),
    "open file descriptor": Nn_("{n} open file descriptor", "{n} open file descriptors"),
    "thread": Nn_("{n} thread", "{n} threads"),
    "process of the submission": Nn_("{n} process of the submission", "{n} processes of the submission"),
    "line on stdout": Nn_("{n} line on stdout", "{n} lines on stdout"),
    "line on stderr": Nn_("{n} line on stderr", "{n} lines on stderr"),
    "line of output": Nn_("{n} line of output", "{n} lines of output"),
    "connection waiting to be accepted": Nn_("{n} connection waiting to be accepted",
                                             "{n} connections waiting to be accepted"),
    "ms of CPU time": Nn_("{n} ms of CPU time", "{n} ms of CPU time"),
    "voluntary context switch": Nn_("{n} voluntary context switch", "{n} voluntary context switches"),
}


def plural(n: int, word: str) -> str:
    """'3 bytes', in the language spoken (`word`: a key of UNITS)."""
    one, many = UNITS[word]
    return ngettext(one, many, n).format(n=n)


class RunnerBase(SandboxWatch):
    def __init__(self, plan: Plan, loop: Loop, log: Transcript, spawn: Spawn) -> None:
        self.plan, self.loop, self.log, self.spawn = plan, loop, log, spawn
        self.host = plan.host
        self.ports = ScenarioPorts(plan.port, shared=plan.isolation == "process")
        self.listeners: dict[str, Listener] = {}
        self.conns: dict[str, Conn] = {}
        self.programs: dict[str, Program] = {}
        self.saved: dict[str, int] = {}
        self.deadline = Deadline.after(plan.timeout)
        self.early: tuple[float, str] | None = None  # (when, why) the last wait_for ended early
        self.last_within: settle.OwnTime | None = None  # the last step's `within`, for its message
        loop.on_child_exit = self._children_exited

    # -- lookups --------------------------------------------------------------------------
    def within(self, args: dict[str, Any], default: float = DEFAULT_WITHIN) -> Deadline:
        """A step's `within` (or `default`), in the sandbox's own time (settle.OwnTime)."""
        self.last_within = self.span(float(args.get("within", default)))
        return self.last_within

    def span(self, seconds: float, cap: Deadline | None = None) -> settle.OwnTime:
        return settle.OwnTime(seconds, cap or self.deadline)

    def conn(self, name: str) -> Conn:
        if name not in self.conns:
            raise StepFailed(_("no client named {name!r} was connected before this step").format(name=name))
        return self.conns[name]

    def program(self, name: str) -> Program:
        if name not in self.programs:
            raise StepFailed(_("no program named {name!r} was started before this step").format(name=name))
        return self.programs[name]

    def bound(self, value: int | str) -> int:
        """A probe bound: an integer, or a saved measure plus or minus an integer ("fds_before + 1")."""
        if isinstance(value, int):
            return value
        m = BOUND_RE.fullmatch(value)
        if not m or m.group(1) not in self.saved:
            raise StepFailed(_("unknown saved measure in {value!r}").format(value=value))
        base = self.saved[m.group(1)]
        return base + (int(m.group(3)) * (1 if m.group(2) == "+" else -1) if m.group(2) else 0)

    def port_of(self, args: dict[str, Any]) -> int:
        """The port a step aims at: that of `to:` (a server or listener), else the first one started."""
        target = args.get("to")
        if target is None:
            return next(iter(self.ports.values()), self.ports.first)
        if target not in self.ports:
            raise StepFailed(_("no server named {name!r} was started before this step").format(name=target))
        return self.ports[target]

    def new_port(self, name: str) -> int:
        return self.ports.new(name)

    def server_at(self, port: int) -> Program | None:
        """The program started as the server listening on `port`, if any."""
        return next((self.programs[n] for n, p in self.ports.items() if p == port and n in self.programs), None)

    # -- processes ------------------------------------------------------------------------
    def annotate(self, e: StepFailed) -> StepFailed:
        """Say which programs ended by themselves meanwhile, unless the message already does: a
        wait that failed because a program died must say so ("server exited with code 1 at 0.31 s").
        A connection the peer ended (or refused) may mean its program is exiting: a process closes
        its sockets a moment before it can be reaped, so that exit is waited for, EXIT_GRACE at most."""
        running = [p for p in self.programs.values() if p.returncode is None]
        if running and any(c.eof or c.error for c in self.conns.values()):  # ended, reset, or refused
            self.loop.wait_until(lambda: any(p.returncode is not None for p in running) or None,
                                 Deadline.after(EXIT_GRACE, self.deadline))
        news = []
        for p in self.programs.values():
            if p.returncode is None or p.killed_by_grader or p.awaited:
                continue
            p.log_exit()
            text = p.exit_text()
            if text not in e.message:
                news.append(_("{name} {ended} at {at:.2f} s").format(name=p.name, ended=text, at=p.ended_at or 0))
        if news:
            e.message = f"{e.message} ({'; '.join(news)})"
            e.args = (e.message,)
        return e

    # -- waiting for the program: certain failure at once --------------------------------
    def wait_for(self, condition: Callable[[], T | None], deadline: Deadline) -> T | None:
        """The condition's value once it holds; None at the deadline, or as soon as the sandbox is
        quiescent with the condition unmet (then `self.early` says when and why)."""
        self.early = None
        if not self.plan.early:
            return self.loop.wait_until(condition, deadline, poll=True)
        before: list[settle.Snapshot | None] = [None]
        looked = [time.monotonic()]  # the first look once QUIET_EVERY has passed: most conditions hold before
        gave_up = object()

        def holds_or_never() -> Any:
            value = condition()
            if value is not None or time.monotonic() - looked[0] < QUIET_EVERY:
                return value
            looked[0] = time.monotonic()
            now = settle.take(os.getpid(), calls=True, held=self.held())
            done = settle.quiescent(before[0], now)
            before[0] = now
            if not done:
                return None
            self.loop.drain()
            value = condition()
            if value is None:
                self.early = (self.log.now(), settle.waiting_text(now, self.process_names()))
                self.log.grader(_("nothing more can happen"), self.early[1])
                return gave_up
            return value

        value = self.loop.wait_until(holds_or_never, deadline, poll=True)
        return None if value is gave_up else cast(T, value)

    def while_moving(self, wait: Callable[[], T | None], moved: Callable[[], int], who: str,
                     unit: str = "byte") -> T | None:
        """wait() (a wait of a step's `within`) again while moved() grew during it, up to the
        scenario's deadline: `within` is how long nothing may move, and a program that is slow but
        going (byte by byte, or one connection at a time, on a loaded machine) is not failed for
        its speed. A wait decided early (nothing more can happen) is not waited again."""
        self.early = None
        before = moved()
        while (value := wait()) is None and self.early is None and self.deadline.remaining() > 0:
            now = moved()
            if now <= before:
                break
            self.log.grader(_("still arriving"), _("{who}: {count} more, waiting on").format(
                who=who, count=plural(now - before, unit)))
            before = now
        return value

    def when(self, args: dict[str, Any], default: float = DEFAULT_WITHIN) -> str:
        """How long a failed wait lasted, for its message: 'within 3 s', or 'by 0.21 s, when nothing
        more could happen (server waits in accept4())'."""
        if self.early is None:
            return _("within {seconds} s").format(seconds=args.get("within", default)) + self.lost_to_load()
        return _("by {at:.2f} s, when nothing more could happen ({why})").format(at=self.early[0], why=self.early[1])

    def lost_to_load(self) -> str:
        """' (and 1.20 s more, which server spent ready to run but without a CPU)', when the last
        step's `within` was moved back for the machine's load (settle.OwnTime); else ''."""
        span = self.last_within
        if span is None or span.added < 0.01:
            return ""
        who = self.process_names().get(span.slowest or 0) or _("one of its programs")
        return _(" (and {added:.2f} s more, which {who} spent ready to run but without a CPU)").format(
            added=span.added, who=who)

    # -- settling and what nobody expected -------------------------------------------------
    def settle(self, deadline: Deadline | None = None, unless: Callable[[], bool] = lambda: False) -> bool:
        """Wait until the sandbox has settled (settle.py), then read what is left in the pipes
        and sockets; False when its busy threads each had SETTLE_CPU seconds of CPU time
        (SETTLE_CPU_UP for a thread of a program already up; SETTLE_CPU_ALL in all) without
        sleeping (a program that never sleeps), or it did not settle before the deadline (a thread
        that cannot run), or when `unless()` came true first (what the caller watches for happened)."""
        before: list[settle.Snapshot | None] = [None]
        spent = settle.BusyCpu(SETTLE_CPU, SETTLE_CPU_UP)

        def settled() -> str | None:
            if unless():
                return "unless"
            now = settle.take(os.getpid(), held=self.held())
            done = settle.settled(before[0], now)
            before[0] = now
            if done:
                return "settled"
            each, total = spent.spent(now)
            return "busy" if each or total >= SETTLE_CPU_ALL else None

        ended = self.loop.wait_until(settled, deadline or self.span(SETTLE_LIMIT), poll=True)
        self.loop.drain()
        if ended in (None, "busy") and before[0] is not None:
            why = _("the sandbox did not settle once its busy threads had had their CPU time") if ended else \
                _("the sandbox did not settle in time")
            self.log.grader(why, settle.describe(before[0]))
        return ended == "settled"

    def check_nothing_unexpected(self, conns: Sequence[Conn], programs: Sequence[Program] = ()) -> None:
        """Bytes after what was expected, on connections and output streams that had expectations."""
        for c in conns:
            if c.expected and (c.unread or c.dropped):
                extra = c.unread
                raise StepFailed(_("{name} received {count} more than expected, after the expected ones: "
                                   "{extra}{note}").format(name=c.name, count=plural(len(extra) + c.dropped, "byte"),
                                                           extra=show(extra), note=c.kept_note()),
                                 expected=_("nothing more"), observed=show(extra))
        for p in programs:
            for stream in (p.stdout, p.stderr):
                extra = bytes(stream.data[stream.cursor:])
                if stream.expected and extra:
                    raise StepFailed(_("{name} printed more than expected on {stream}: {extra}").format(
                        name=p.name, stream=stream.name, extra=show(extra)),
                        expected=_("nothing more on {stream}").format(stream=stream.name), observed=show(extra))

    def check_before_closing(self, names: list[str]) -> None:
        """Before the grader closes connections it expected bytes on: were there more?"""
        conns = [self.conns[n] for n in names if n in self.conns and not self.conns[n].closed]
        if any(c.expected for c in conns):
            self.settle()
            self.check_nothing_unexpected(conns)

    def finish(self) -> None:
        """After the last step: nothing unexpected anywhere (the sandbox settled first)."""
        conns = [c for c in self.conns.values() if not c.closed and c.expected]
        programs = [p for p in self.programs.values() if p.student and (p.stdout.expected or p.stderr.expected)]
        if conns or programs:
            self.settle()
            self.check_nothing_unexpected(conns, programs)
