"""The sandbox as the step interpreter sees it, apart from any step: the programs' exits, reaped
as they come; what each process is called in feedback; the bytes the grader's connections still
have to write; the listen queues; and the grader fault a step can meet when the kernel refuses
the grader memory to send (not the student's doing).
"""

from __future__ import annotations

import os

from . import probes, settle, sockdiag
from .endpoints import Conn
from .i18n import _
from .program import Program


class GraderFault(RuntimeError):
    """The grader could not do its own part (outside the student's control): the scenario's outcome
    is a grader error, flagged for the instructor, never a failure of the student's."""


class SandboxWatch:
    """Part of RunnerBase (runner.py), which holds the programs and connections."""

    programs: dict[str, Program]
    conns: dict[str, Conn]

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

    def held(self) -> list[tuple[int, int, int]]:
        """(local port, remote port, bytes) the grader's connections still have to write (settle.take)."""
        return [(*c.ports, len(c.txbuf)) for c in self.conns.values() if c.txbuf and not c.error and not c.closed]

    def check_could_send(self, c: Conn) -> None:
        """A wait for `c`'s bytes to go ended with the program's end ready for them (an empty
        receive queue) and the grader still holding them: the kernel refused the grader the memory
        to send (net.ipv4.tcp_mem, shared by every network namespace of the machine, exhausted by
        other programs). Not the student's doing: a grader fault."""
        if c.txbuf and settle.awaited(sockdiag.tcp_sockets(), [(*c.ports, len(c.txbuf))]):
            raise GraderFault(f"{c.name} could not write {len(c.txbuf)} bytes that the program's end was ready "
                              f"to receive (an empty receive queue): the kernel's TCP memory is short on this "
                              f"machine (/proc/net/sockstat: {probes.tcp_memory()})")

    def process_names(self) -> dict[int, str]:
        """pid -> how the transcript calls it: a program's name, or 'a child of NAME'."""
        names = {p.pid: p.name for p in self.programs.values()}
        for stat in probes.read_all_stats():
            if stat.pid not in names and stat.ppid in names and stat.pid != os.getpid():
                names[stat.pid] = _("a child of {name}").format(name=names[stat.ppid])
        return names

    def listening(self, port: int) -> tuple[int, int] | None:
        """(backlog, queue) of the listener on `port`, None when nothing listens there."""
        return sockdiag.tcp_listeners().get(port)
