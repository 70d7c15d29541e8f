"""The programs a scenario runs (`Program`: student's, reference's or course's) and their output
streams (`Stream`).

Programs get an environment built from scratch, stdin on a pty in
canonical mode without echo (a terminal, as a student uses it), stdout and stderr on pipes
with PYTHONUNBUFFERED=1 (docs/kernel.md, "Standard input and output"). Stopping a program is one routine:
SIGTERM, then SIGKILL after a grace period, and it says which one ended it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import struct
import subprocess
import termios
from collections.abc import Callable

from .i18n import _, ngettext, numeral
from .jail import StudentPreexec
from .loop import Deadline, Loop
from .transcript import Transcript

STORE_CAP = 1 << 20  # bytes of a program's stdout/stderr kept; the rest is counted and dropped
TAIL = 2000  # bytes of stderr shown in feedback
STREAM_GULP = 64  # pipe reads (64 KiB each) per wake-up: 4 MiB
TERM_GRACE = 1.0  # seconds between SIGTERM and SIGKILL


class Stream:
    """A pipe from a program, pumped into a capped buffer."""

    def __init__(self, who: str, name: str, fd: int, loop: Loop, log: Transcript) -> None:
        self.who, self.name, self.fd, self.loop, self.log = who, name, fd, loop, log
        self.data = bytearray()
        self.total = 0
        self.cursor = 0
        self.eof = False
        self.expected = False  # an expectation was checked on it: more output is then a failure
        os.set_blocking(fd, False)
        loop.watch(fd, self._on_readable)

    def _on_readable(self) -> None:
        """Read what the pipe holds, up to STREAM_GULP at a time: a program that prints a flood
        must not wait on the grader's other work (each turn of the loop checks the sandbox)
        between two pipe-fulls, or how fast it gets going would depend on the machine's load."""
        for _gulp in range(STREAM_GULP):
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self.eof = True
                self.loop.unwatch(self.fd)
                os.close(self.fd)
                return
            self.total += len(chunk)
            room = STORE_CAP - len(self.data)
            if room > 0:
                self.data += chunk[:room]
                self.log.data(self.who, self.name, chunk)
            if len(chunk) < 65536:
                return  # the pipe is empty: nothing more to read now

    def tail(self) -> str:
        text = bytes(self.data[-TAIL:]).decode("utf-8", "replace")
        if self.total > len(self.data):
            text += f"\n[{truncation_note(self.name, self.total, len(self.data))}]"
        return text


def signal_name(sig: int) -> str:
    """SIGTERM, SIGRTMIN+6, or "signal 99": any number a program can die of is the program's outcome."""
    try:
        return signal.Signals(sig).name
    except ValueError:
        if signal.SIGRTMIN <= sig <= signal.SIGRTMAX:
            return f"SIGRTMIN+{sig - signal.SIGRTMIN}"
        return f"signal {sig}"


def truncation_note(stream: str, total: int, kept: int) -> str:
    """'stdout: 200.0 MB written, first 1 MiB kept' (what the grader stores of a flood)."""
    size = f"{numeral(total / 1e6, '.1f')} MB" if total >= 1e5 else \
        ngettext("{n} byte", "{n} bytes", total).format(n=total)
    shown = f"{kept >> 20} MiB" if kept and kept % (1 << 20) == 0 else \
        ngettext("{n} byte", "{n} bytes", kept).format(n=kept)
    return _("{stream}: {size} written, first {kept} kept").format(stream=stream, size=size, kept=shown)


class Program:
    """A running program (student's, or the course's), its streams, pty and exit status.

    `origin` says whose program it is: "student" (the hand-in), "reference" (the course's program
    the scenario runs beside the student's, e.g. a calibration) or "course" (a program of the lab
    that students do not write, e.g. the chat server of lab 4: run from the reference)."""

    def __init__(
        self, name: str, argv: list[str], *, cwd: str, env: dict[str, str], loop: Loop, log: Transcript,
        preexec: Callable[[], None] | None = None, origin: str = "student", shown: str = "",
    ) -> None:
        self.name, self.argv, self.loop, self.log, self.origin = name, argv, loop, log, origin
        self.student = origin == "student"
        self.pty_master, self.pty_slave = os.openpty()  # the slave stays open here: its input queue is read
        attrs = termios.tcgetattr(self.pty_slave)
        attrs[3] &= ~termios.ECHO
        attrs[1] &= ~termios.OPOST
        termios.tcsetattr(self.pty_slave, termios.TCSANOW, attrs)
        self.proc = subprocess.Popen(
            argv, stdin=self.pty_slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=None if preexec else cwd,
            env=env, start_new_session=True, preexec_fn=preexec, close_fds=True,
        )
        assert self.proc.stdout and self.proc.stderr
        self.stdout = Stream(name, "stdout", os.dup(self.proc.stdout.fileno()), loop, log)
        self.stderr = Stream(name, "stderr", os.dup(self.proc.stderr.fileno()), loop, log)
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.killed_by_grader = False
        self.awaited = False  # a step waited for its exit: its end is expected, not news
        self.exit_logged = False
        self.ended_at: float | None = None  # transcript time of its end
        self.target_port: int | None = None  # the port a client program was told to connect to
        self.start_failure: str | None = None  # why it did not start (a server that never listened)
        self.script = argv[1] if len(argv) > 1 else argv[0]  # the file as the lab names it (set by start)
        self.confinement = preexec
        log.add(name, _("started"), " ".join(argv) + (f"  ({shown})" if shown else ""))

    def input_pending(self) -> int:
        """Bytes typed that the program has not read yet (complete lines: the pty is canonical)."""
        try:
            return int(struct.unpack("i", fcntl.ioctl(self.pty_slave, termios.FIONREAD, b"\0" * 4))[0])
        except OSError:
            return 0

    def close_pty(self) -> None:
        for fd in (self.pty_master, self.pty_slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def type(self, data: bytes) -> None:
        """Write to the terminal, and return once the line discipline holds the bytes: a write to a
        pty master reaches the slave from a kernel work item, a moment later, and until then a
        program asleep in read() looks like one that nothing will wake. A poll() of the slave with
        nothing to read runs that work item at once (docs/kernel.md, "Pieces that are read alone")."""
        os.write(self.pty_master, data)
        poller = select.poll()
        poller.register(self.pty_slave, select.POLLIN)
        poller.poll(0)

    def exit_text(self, present: bool = False) -> str:
        """How the program ended ("exited with code 1", or with `present` "exits with code 1"), and
        why when a limit of the sandbox is the cause (the signal and the sandbox's cgroup counters
        say which: memory, CPU, file size, processes)."""
        rc = self.proc.returncode
        if rc is None:
            return _("still running")
        sig = -rc if rc < 0 else None
        if sig is None:
            text = (_("exits with code {code}") if present else _("exited with code {code}")).format(code=rc)
        else:
            text = (_("is killed by {signal}") if present else _("killed by {signal}")).format(signal=signal_name(sig))
        reasons = [_("sent by the grader")] if sig is not None and self.killed_by_grader else []
        reasons += self.limits_hit()
        return text + (f" ({'; '.join(reasons)})" if reasons else "")

    def limits_hit(self) -> list[str]:
        """The sandbox's limits that ended the program, in words ([] when none did)."""
        rc = self.proc.returncode
        if rc is None or not isinstance(self.confinement, StudentPreexec):
            return []
        return self.confinement.why(-rc if rc < 0 else None)

    def signal(self, sig: signal.Signals) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, sig)
            self.log.add(self.name, _("sent {signal}").format(signal=sig.name))

    def stop(self, loop: Loop) -> None:
        """SIGTERM, then SIGKILL after TERM_GRACE; the program only (its children are the scenario's to judge)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGCONT)  # a paused program would not act on SIGTERM
        for sig, grace in ((signal.SIGTERM, TERM_GRACE), (signal.SIGKILL, 5.0)):
            if self.proc.poll() is not None:
                break
            self.killed_by_grader = True
            self.log.add(self.name, _("sent {signal}").format(signal=sig.name),
                         _("by the grader, {grace:g} s to exit").format(grace=grace) if sig == signal.SIGTERM
                         else _("by the grader"))
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, sig)
            loop.wait_until(lambda: self.proc.poll(), Deadline.after(grace))
        self.log_exit()

    def log_exit(self) -> None:
        """Put the program's end in the transcript, once (whoever reaped it first)."""
        if self.proc.returncode is not None and not self.exit_logged:
            self.exit_logged = True
            self.ended_at = self.log.now()
            self.log.add(self.name, self.exit_text())

    def drain(self, loop: Loop, deadline: Deadline) -> None:
        """After exit: collect what is still in the pipes (grandchildren may hold them open)."""
        loop.wait_until(lambda: (self.stdout.eof and self.stderr.eof) or None, deadline)
