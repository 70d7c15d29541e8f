"""Steps that measure: probes of processes, descriptors, CPU and queues (from /proc and
netlink), saved measures compared, and the listen queue filled until the kernel drops a SYN.

A probe without `over:` waits until its bound holds (an event: the value reaches it), and fails
at its deadline otherwise; with `over:` it measures a difference across a fixed window, the only
way to see idleness (CPU time, wake-ups). Listen-queue facts: docs/kernel.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from . import probes, sockdiag
from .endpoints import Conn
from .i18n import N_, _
from .loop import Deadline
from .payload import nth
from .runner import DEFAULT_WITHIN, RunnerBase, StepFailed, plural
from .stepspec import MEASURES, PORT_MEASURES

BOUNDS = {"at_least": N_("at least {bound}"), "at_most": N_("at most {bound}"), "equals": N_("equals {bound}")}


class MeasureSteps(RunnerBase):
    def fill_queue(self, args: dict[str, Any]) -> None:
        """Connect clients one at a time until the kernel drops a SYN (the listen queue is full).

        A connection is established at once on loopback, or its SYN is dropped and the
        namespace's ListenOverflows counter rises at once (docs/kernel.md, "The listen queue"): whichever
        happens first decides, so no connect timeout is ever waited for. Established means in
        the server's accept queue: the server's end is a socket, not only the client's (the
        handshake's last ACK reached the server before the next client's SYN, whatever CPU each
        went through). The number established is saved; the dropped client is aborted so that
        it does not get in later by itself."""
        port = self.port_of(args)
        limit = int(args.get("max", 100))
        established = 0
        for i in range(1, limit + 1):
            name = nth(str(args["as"]), i)
            before = probes.listen_overflows()
            c = self.conns[name] = Conn(name, self.loop, self.log)
            c.start_connect(self.host, port)

            def decided(c: Conn = c, before: int = before) -> str | None:
                if c.connected and sockdiag.server_end_is_a_socket(c.ports):
                    return "in"
                if probes.listen_overflows() > before:
                    return "dropped"
                if c.connected and c.eof:  # the server's end closed or reset it: it was a socket
                    return "in"
                return "error" if c.error else None

            verdict = self.loop.wait_until(decided, self.within(args, 1.0), poll=True)
            if verdict == "in":
                established += 1
                continue
            c.close(reset=True)
            del self.conns[name]
            why = {"dropped": _("SYN dropped by the kernel: listen queue full (ListenOverflows rose)"),
                   "error": _("refused: {error}").format(error=c.error)}.get(str(verdict), _("no answer"))
            self.log.add(name, _("not established"), why)
            break
        else:
            self.log.grader(_("queue never filled"), _("{count} connections established").format(count=limit))
        # A busy server leaves them all in its accept queue until it is done with its client. One
        # that accepts while "busy" (it forks, or uses threads) drains it, maybe only after the
        # burst filled it: before the sandbox settles (once every program sleeps and nothing is in
        # flight, nothing will take from the queue any more; a server that never sleeps, for the
        # step's `within`).
        def queued() -> int:
            return sockdiag.tcp_listeners().get(port, (0, 0))[1]

        self.settle(self.within(args, 1.0), unless=lambda: queued() < established)
        if (waiting := queued()) < established:
            self.log.grader(_("the server accepted queued connections while busy"),
                         _("{count} of {total}").format(count=established - waiting, total=established))
            established += established - waiting
        if "save" in args:
            self.saved[args["save"]] = established

    def compare(self, args: dict[str, Any]) -> None:
        """A saved measure against a bound: `compare: {saved: capacity, equals: ref_capacity}`."""
        name = args["saved"]
        if name not in self.saved:
            raise StepFailed(_("no measure named {name!r} was saved before this step").format(name=name))
        value = self.saved[name]
        for key, test in (("at_least", value.__ge__), ("at_most", value.__le__), ("equals", value.__eq__)):
            if key in args and not test(self.bound(args[key])):
                want = _(BOUNDS[key]).format(bound=self.bound(args[key]))
                shown = f" ({args[key]})" if isinstance(args[key], str) else ""
                raise StepFailed(_("{name} is {value}, expected {want}").format(name=name, value=value,
                                                                               want=want + shown),
                                 expected=want, observed=str(value))

    UNITS: ClassVar[dict[str, str]] = MEASURES  # what each measure counts, as said in feedback (stepspec.py)
    COUNTERS: ClassVar[frozenset[str]] = frozenset(
        {"cpu_ms", "wakeups", "stdout_lines", "stderr_lines", "output_lines"})  # they never go down
    PER_PID: ClassVar[dict[str, Callable[[int], int | None]]] = {
        "children": probes.count_children, "zombies": probes.count_zombies, "fds": probes.count_fds,
        "threads": probes.count_threads, "cpu_ms": probes.cpu_ms,
        "wakeups": probes.voluntary_switches,
    }

    def measure(self, what: str, of: str | None) -> int | None:
        """The current value, or None when `of` has exited (it has no such value any more)."""
        if what == "processes":
            return len(probes.student_processes())
        if what in PORT_MEASURES:
            queue = sockdiag.tcp_listeners().get(self.port_of({"to": of}))
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
                raise StepFailed(_("{name} is no longer running, cannot measure its {what}").format(name=of, what=what),
                                 expected=_("{name} running").format(name=of),
                                 observed=prog.exit_text() if prog else _("not listening"))
            return v

        if "over" in args:  # a rate: the difference across a window (idleness has no event)
            before = value()
            start = self.log.now()

            def past_bound() -> int | None:
                """A counter only grows: once past `at_most`, the rest of the window cannot help."""
                grown = value() - before
                return grown if self.plan.early and what in self.COUNTERS and any(
                    k != "at_least" and grown > b for k, b in checks) else None

            # decided at once when certain: past its bound, or the sandbox quiescent (nothing can
            # change any more: every thread waits for another process, e.g. select() without timeout)
            past = self.wait_for(past_bound, Deadline.after(float(args["over"]), self.deadline))
            last[0] = value() - before
            held = all(ok[k](last[0], b) for k, b in checks)
            elapsed = self.log.now() - start
            when = (_("within the first {elapsed:.2f} s of {over} s").format(elapsed=elapsed, over=args["over"])
                    if past is not None else _("over {over} s").format(over=args["over"]) if self.early is None else
                    _("over {elapsed:.2f} s, after which nothing more could happen ({why})").format(
                        elapsed=elapsed, why=self.early[1]))
        else:
            def holds() -> bool | None:
                v = value()  # measured even with no bound: `save:` alone records it
                return True if all(ok[k](v, b) for k, b in checks) else None

            held = bool(self.wait_for(holds, self.within(args)))
            when = self.when(args) if self.early else _("after {seconds} s").format(
                seconds=args.get("within", DEFAULT_WITHIN)) + self.lost_to_load()
        if "save" in args:
            self.saved[args["save"]] = last[0] or 0
        self.log.add(of or "sandbox", f"{what} = {last[0]}" + (f" {when}" if "over" in args else ""))
        if not held:
            want = _(" and ").join(_(BOUNDS[k]).format(bound=b) for k, b in checks)
            who = of or _("the sandbox")
            counted = _("a listen backlog of {n}").format(n=last[0]) if what == "backlog" else \
                plural(last[0] or 0, self.UNITS[what])
            threads = probes.count_threads(self.programs[of].pid) if what == "children" and of in self.programs \
                else None
            also = " " + _("(it runs {count} threads)").format(count=threads) if threads and threads > 1 else ""
            raise StepFailed(_("{who} had {counted} {when}{also}, expected {want}").format(
                who=who, counted=counted, when=when, also=also, want=want), expected=want,
                observed=str(last[0]) + also)
