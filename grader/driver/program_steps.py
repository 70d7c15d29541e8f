"""Steps on the programs of a scenario: start them, type into them, read their output, watch
them exit, stop them.

Output is compared exactly by default (matching.py): what a program prints between two
expectations must be what the scenario expected, byte for byte. `contains:` and `match:` are
the scenario's explicit leniency, `end:` says that nothing more is printed. A server that
cannot start is told apart from one that misbehaves: its `start_failure` says why, in words
that do not depend on the scenario (no port, no time), so that one cause met in every scenario
is reported once (grader/findings.py).
"""

from __future__ import annotations

import re
import signal
from collections.abc import Callable
from typing import Any

from . import probes, sockdiag, syscalls, tasks
from .i18n import _
from .loop import Deadline
from .matching import (
    MATCHED,
    MISMATCH,
    PENDING,
    Match,
    describe_mismatch,
    match_contains,
    match_end,
    match_exact_until,
    match_line,
    show,
)
from .program import Program
from .runner import START_WITHIN, RunnerBase, StepFailed, plural
from .stepspec import backlog_name

EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit|Warning))(?::\s*(.*))?$")
SOURCE_LINE = re.compile(r'^\s*File "(?P<file>[^"]*)", line (?P<line>\d+)')
COMPILE_ERRORS = ("SyntaxError", "IndentationError", "TabError")


def crash_summary(script: str, stderr: str) -> tuple[str, bool] | None:
    """What a Python traceback on stderr says, in one line: "server.py does not compile: line
    29: expected ':'", or "ModuleNotFoundError: No module named 'numpy'", and whether it is a
    compile error; None without one."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    if not lines:
        return None
    last = EXCEPTION_LINE.match(lines[-1].strip())
    if not last:
        return None
    kind, message = last.group(1), (last.group(2) or "").strip()
    if kind.rsplit(".", 1)[-1] in COMPILE_ERRORS:
        where = [m for line in lines if (m := SOURCE_LINE.match(line))]
        if where:
            return _("{script} does not compile: line {line}: {error}").format(
                script=script, line=where[-1].group("line"), error=message or kind), True
        return _("{script} does not compile: {error}").format(script=script, error=message or kind), True
    return (f"{kind}: {message}" if message else kind), False


def start_failure(prog: Program, script: str, when: str) -> str:
    """Why a program did not get going (`when`: "before listening"), scenario-independent."""
    stderr = prog.stderr.tail()
    crash = crash_summary(script, stderr)
    if crash and crash[1]:
        return crash[0]
    ended = prog.exit_text(present=True)  # with the limit it hit, if any
    last = next((line.strip() for line in reversed(stderr.splitlines()) if line.strip()), "")
    said = crash[0] if crash else last[:200]
    return (_("{script} {ended} {when}: {why}") if said else _("{script} {ended} {when}")).format(
        script=script, ended=ended, when=when, why=said)


class ProgramSteps(RunnerBase):
    def start(self, args: dict[str, Any]) -> None:
        side = args.get("from", "student")
        name = args.get("as", args["program"])
        spec = self.plan.programs[args["program"]]
        origin = "reference" if side == "reference" else "course" if spec.provided else "student"
        port = self.new_port(name) if spec.kind == "server" else self.port_of(args)
        argv = [str(a).replace("{port}", str(port)).replace("{host}", self.host)
                for a in [*spec.argv, *args.get("args", [])]]
        prog = self.spawn(name, argv, origin)
        prog.script = spec.argv[0]
        self.programs[name] = prog
        if spec.kind != "server":
            prog.target_port = port
            return
        listening = self.wait_for(
            lambda: sockdiag.tcp_listeners().get(port) or (prog.returncode is not None or None),
            self.within(args, START_WITHIN))
        if isinstance(listening, tuple):
            self.saved[backlog_name(name, args)] = listening[0]
            self.log.add(name, _("listening"), _("port {port}, backlog {backlog}").format(port=port,
                                                                                           backlog=listening[0]))
            return
        script = spec.argv[0]
        if prog.returncode is not None:
            prog.drain(self.loop, Deadline.after(0.5, self.deadline))
            prog.start_failure = start_failure(prog, script, _("before listening"))
            raise StepFailed(_("{name} {ended} before listening on port {port}").format(
                name=argv[0], ended=prog.exit_text(), port=port),
                expected=_("a socket listening on port {port}").format(port=port), observed=prog.exit_text())
        prog.start_failure = _("{script} runs but never listens on the port given as argv[1]").format(script=script)
        raise StepFailed(_("{name} is running but not listening on port {port} {when}").format(
            name=argv[0], port=port, when=self.when(args, START_WITHIN)),
            expected=_("listen() on port {port} (the port given as argv[1])").format(port=port),
            observed=_("no listening socket on that port"))

    # -- input -----------------------------------------------------------------------------
    def type(self, args: dict[str, Any]) -> None:
        prog = self.program(args["of"])
        if "pieces" in args:
            pieces = [str(p).encode() for p in args["pieces"]]
        else:
            pieces = [b"\x04" if args.get("eof") else str(args["data"]).encode()]
        # A person types into a program that has started: its threads are up and waiting. Typing
        # within microseconds of accept() would judge how it starts threads, not how it reads.
        self.settle()
        for k, data in enumerate(pieces):
            before = probes.read_chars(prog.pid)
            self.log.data(prog.name, _("typed"), data)
            try:
                prog.type(data)
            except OSError as e:
                raise StepFailed(_("could not type into {name}: {error}").format(name=prog.name, error=e.strerror),
                                 expected=_("the program reads stdin"), observed=prog.exit_text()) from None
            if k < len(pieces) - 1:
                self._wait_read(prog, len(data), before, self.within(args),
                                _("line {k} of {count}").format(k=k + 1, count=len(pieces)))

    def _wait_read(self, prog: Program, size: int, before: int | None, deadline: Deadline, what: str) -> None:
        """Until the program has read what was typed: nothing left in the terminal's input queue,
        and its count of bytes read (/proc/PID/io) grew by as much (the queue is filled by the
        kernel a moment after the write: an empty queue alone proves nothing)."""
        def read() -> bool | None:
            if prog.returncode is not None:
                raise StepFailed(_("{name} {ended} before reading the {what} typed").format(
                    name=prog.name, ended=prog.exit_text(), what=what),
                    expected=_("the program reads its input"), observed=prog.exit_text())
            now = probes.read_chars(prog.pid)
            grew = before is None or now is None or now - before >= size
            return True if grew and prog.input_pending() == 0 else None

        if not self.wait_for(read, deadline):
            raise StepFailed(_("{name} did not read the {what} typed {when}").format(
                name=prog.name, what=what, when=self.when({})),
                expected=_("the program reads its input"), observed=_("still waiting in the terminal"))

    # -- output ----------------------------------------------------------------------------
    def _output_matcher(self, args: dict[str, Any]) -> tuple[Callable[[bytes, bool], Match], str]:
        """A matcher over (unread output, ended?) and how to say what it expects."""
        if "data" in args:
            want = str(args["data"]).encode()
            return (lambda got, eof: match_exact_until(want, got, eof)), show(want)
        if "contains" in args:
            part = str(args["contains"]).encode()
            return (lambda got, eof: match_contains(part, got, eof)), _("anything, then {data}").format(data=show(part))
        if "match" in args:
            pattern = re.compile(str(args["match"]))
            return (lambda got, eof: match_line(pattern, got, eof)), _("a line matching {pattern!r}").format(
                pattern=pattern.pattern)
        allow = re.compile(str(args["allow"])) if "allow" in args else None

        def end(got: bytes, eof: bool) -> Match:
            if allow is None or not got:
                return match_end(got, eof)
            line = match_line(allow, got, eof)
            if line.state != MATCHED:
                return line
            rest = match_end(got[line.consumed:], eof)
            return Match(rest.state, consumed=line.consumed, offset=line.consumed + rest.offset)

        return end, _("nothing more (or one line matching {pattern!r})").format(pattern=allow.pattern) if allow \
            else _("nothing more")

    def expect_output(self, args: dict[str, Any]) -> None:
        prog = self.program(args["of"])
        stream = prog.stderr if args.get("stream") == "stderr" else prog.stdout
        stream.expected = "contains" not in args  # leniency: what follows a `contains:` is not judged either
        matcher, wanted = self._output_matcher(args)

        def judged() -> Match | None:
            m = matcher(bytes(stream.data[stream.cursor:]), stream.eof)
            return None if m.state == PENDING else m

        m = self.wait_for(judged, self.within(args))
        if m is not None and m.state == MISMATCH:  # shown once the program printed what it will: the same every run
            self.settle()
            m = judged() or m
        got = bytes(stream.data[stream.cursor:])
        shown = show(got) if got else _("nothing")
        if m is None:
            still = _("is still running") if prog.returncode is None else prog.exit_text()
            what = (_("{name} {still} {when}, with nothing more printed").format(
                name=prog.name, still=still, when=self.when(args)) if "end" in args else
                _("{name} did not print {wanted} on {stream} {when}").format(
                    name=prog.name, wanted=wanted, stream=stream.name, when=self.when(args)))
            raise StepFailed(what, expected=wanted, observed=f"{shown} ({still})" if "end" in args else shown)
        if m.state == MISMATCH:
            raise StepFailed(self._mismatch(prog.name, stream.name, args, got, m, wanted, stream.eof),
                             expected=wanted, observed=shown)
        stream.cursor += m.consumed

    @staticmethod
    def _mismatch(who: str, stream: str, args: dict[str, Any], got: bytes, m: Match, wanted: str, eof: bool) -> str:
        closed = _("{name} closed its {stream} without printing {wanted}")
        if not got and eof:
            return closed.format(name=who, stream=stream, wanted=wanted)
        if "data" in args:
            want = str(args["data"]).encode()
            if eof and want.startswith(got):
                return _("{name} closed its {stream} after printing {got} of {wanted}").format(
                    name=who, stream=stream, got=show(got), wanted=show(want))
            return _("{name} printed something else on {stream}: {wrong}").format(
                name=who, stream=stream, wrong=describe_mismatch(want, got, m.offset))
        if "contains" in args:
            return closed.format(name=who, stream=stream, wanted=show(str(args["contains"]).encode()))
        if "match" in args:
            line = got.split(b"\n", 1)[0]
            return _("{name} printed the line {line}, expected {wanted}").format(
                name=who, line=show(line), wanted=wanted) if got else closed.format(name=who, stream=stream,
                                                                                     wanted=wanted)
        return _("{name} printed more than expected on {stream}: {extra}").format(
            name=who, stream=stream, extra=show(got[m.offset:]))

    # -- exit ------------------------------------------------------------------------------
    def wait_exit(self, args: dict[str, Any]) -> None:
        prog = self.program(args["of"])
        prog.awaited = True
        if self.wait_for(lambda: prog.returncode is not None or None, self.within(args)) is None:
            raise StepFailed(_("{name} did not exit {when}").format(name=prog.name, when=self.when(args)),
                             expected=_("the program exits"), observed=_("still running"))
        prog.drain(self.loop, Deadline.after(0.5, self.deadline))
        if "code" in args and prog.returncode != args["code"]:
            raise StepFailed(_("{name} {ended}, expected exit code {code}").format(
                name=prog.name, ended=prog.exit_text(), code=args["code"]),
                expected=_("exit code {code}").format(code=args["code"]), observed=prog.exit_text())

    def check_stderr(self, args: dict[str, Any]) -> None:
        prog = self.program(args["of"])
        text = bytes(prog.stderr.data).decode("utf-8", "replace")
        lines = [line for line in text.splitlines() if line.strip()]
        if not args.get("traceback", True) and "Traceback (most recent call last)" in text:
            raise StepFailed(_("{name} printed a Python traceback").format(name=prog.name),
                             expected=_("a one-line error message"), observed=show(text.encode(), 300))
        if len(lines) < args.get("at_least", 0) or len(lines) > args.get("at_most", len(lines)):
            want = _("{least} to {most} lines").format(least=args.get("at_least", 0), most=args["at_most"]) \
                if "at_most" in args else _("{least} lines or more").format(least=args.get("at_least", 0))
            raise StepFailed(_("{name} wrote {count} on stderr, expected {want}").format(
                name=prog.name, count=plural(len(lines), "line"), want=want),
                expected=want, observed=show(text.encode(), 300) if text else _("nothing"))

    def stop(self, args: dict[str, Any]) -> None:
        self.program(args["of"]).stop(self.loop)

    def pause(self, args: dict[str, Any]) -> None:
        """SIGSTOP the program (its children go on): e.g. so that signals from children that end
        meanwhile are pending together when it resumes, as they would be on a busy machine."""
        self.program(args["of"]).signal(signal.SIGSTOP)

    def resume(self, args: dict[str, Any]) -> None:
        self.program(args["of"]).signal(signal.SIGCONT)

    def expect_blocked(self, args: dict[str, Any]) -> None:
        """While idle, the program's thread waits in one of the allowed system calls (e.g. select).

        /proc/PID/syscall is a racy snapshot (docs/kernel.md): samples taken while the task runs
        are skipped; `samples` blocked ones must all be allowed; two consecutive identical samples
        of another call fail at once, naming the call and its file."""
        prog = self.program(args["of"])
        allowed = set(args["in"])  # families: "select" covers select and pselect6, "poll" poll and ppoll
        needed = int(args.get("samples", 5))
        seen: list[tuple[str, str]] = []

        def sample() -> bool | None:
            if prog.returncode is not None:
                raise StepFailed(_("{name} {ended} while it should be waiting").format(
                    name=prog.name, ended=prog.exit_text()),
                    expected=_("waiting in {calls}").format(calls="/".join(sorted(allowed))), observed=prog.exit_text())
            now = tasks.blocked_in(prog.pid)
            if now is None:
                return None
            seen.append(now)
            if syscalls.family(now[0]) not in allowed and len(seen) >= 2 and seen[-2] == now:
                where = _("{call}() on {file}").format(call=now[0], file=now[1]) if now[1] else f"{now[0]}()"
                raise StepFailed(_("{name} was waiting in {where}, not in {calls}").format(
                    name=prog.name, where=where, calls="/".join(sorted(allowed))),
                    expected=_("blocked in {calls}").format(calls="/".join(sorted(allowed))),
                    observed=_("blocked in {calls}").format(calls=where))
            good = [x for x in seen if syscalls.family(x[0]) in allowed]
            return True if len(good) >= needed else None

        if not self.loop.wait_until(sample, self.within(args), poll=True):
            shown = ", ".join(call for call, _file in seen[-5:]) or _("always running (never blocked)")
            raise StepFailed(_("{name} was not seen waiting in {calls}").format(
                name=prog.name, calls="/".join(sorted(allowed))),
                expected=_("blocked in {calls}").format(calls="/".join(sorted(allowed))), observed=shown)
