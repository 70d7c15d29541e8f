"""The things a scenario talks to: scripted TCP clients (`Conn`) and programs (`Program`).

Both only register fds with the loop and buffer what arrives; the step interpreter decides
what the bytes mean. Programs get an environment built from scratch, stdin on a pty in
canonical mode without echo (a terminal, as a student uses it), stdout and stderr on pipes
with PYTHONUNBUFFERED=1 (docs/kernel.md, "Standard input and output"). Stopping a program is one routine:
SIGTERM, then SIGKILL after a grace period, and it says which one ended it.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import fcntl
import os
import select
import signal
import socket
import struct
import subprocess
import termios
from collections.abc import Callable

from . import probes
from .i18n import _, ngettext, numeral
from .jail import StudentPreexec
from .loop import Deadline, Loop
from .transcript import Transcript

STORE_CAP = 1 << 20  # bytes of a program's stdout/stderr kept; the rest is counted and dropped
TAIL = 2000  # bytes of stderr shown in feedback
STREAM_GULP = 64  # pipe reads (64 KiB each) per wake-up: 4 MiB
TERM_GRACE = 1.0  # seconds between SIGTERM and SIGKILL


class Conn:
    """A scripted client connection; everything received is kept in `rx`.

    How the peer ended the connection is kept apart: an orderly close (FIN: recv() returns b"")
    or a reset (RST: recv() fails with ECONNRESET). A connection can be `held`: the grader stops
    reading it, so that what the peer sends piles up in the kernel until the peer's send queue
    is full (the receive window closes): how a slow reader looks to the program."""

    def __init__(self, name: str, loop: Loop, log: Transcript, sock: socket.socket | None = None,
                 receive_buffer: int | None = None, mss: int | None = None) -> None:
        self.name, self.loop, self.log = name, loop, log
        self.sock = sock or socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.fixed_buffer = bool(receive_buffer)  # else the kernel grows it (up to tcp_rmem's maximum)
        if receive_buffer:  # before connect(): the window it advertises stays that small
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        if mss:  # before connect(): the segment size announced to the program, as over a real network
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
        self.sock.setblocking(False)
        self.rx = bytearray()
        self.dropped = 0  # bytes received past the driver's budget (Loop.keep): counted, not kept
        self.cursor = 0  # rx bytes already matched by expectations
        self.sent = bytearray()
        self.echo_cursor = 0  # sent bytes already expected back
        self.from_cursors: dict[str, int] = {}  # other connection -> its sent bytes already expected here
        self.txbuf = b""
        self.connected = False
        self.error: str | None = None
        self.eof = False
        self.reset_by_peer = False  # the peer's end came as a reset (RST), not a close (FIN)
        self.closed = False
        self.held = False
        self.expected = False  # an expectation was checked on it: bytes nobody expected are then a failure
        self.ports = (0, 0)  # (local, remote) once connected
        if sock is not None:  # accepted by a scripted server
            self._on_established()
            self.log.add(name, _("accepted"), _("the client connected"))
            self._rewatch()

    def _on_established(self) -> None:
        self.connected = True
        self.ports = (self.sock.getsockname()[1], self.sock.getpeername()[1])

    @property
    def unread(self) -> bytes:
        return bytes(self.rx[self.cursor:])

    def kept_note(self) -> str:
        """' (the grader keeps 64 MiB of what its clients receive; alice received 400.0 MB in all)'"""
        if not self.dropped:
            return ""
        total = len(self.rx) + self.dropped
        return " " + _("(the grader keeps {kept:g} MiB of what its clients receive; {name} received {total:.1f} MB in "
                       "all)").format(kept=self.loop.rx_budget / 2**20, name=self.name, total=total / 1e6)

    @property
    def written(self) -> int:
        """Bytes handed to the kernel so far (what the peer can have received)."""
        return len(self.sent) - len(self.txbuf)

    def ending(self) -> str:
        """How the peer ended the connection, in words ('' while it is open)."""
        if not self.eof:
            return ""
        return _("reset (RST)") if self.reset_by_peer else _("closed (FIN)")

    def start_connect(self, host: str, port: int) -> None:
        rc = self.sock.connect_ex((host, port))
        if rc not in (0, errno.EINPROGRESS):
            self.error = os.strerror(rc)
            return
        self.loop.watch(self.sock.fileno(), self._on_connected, write=True)

    def _on_connected(self) -> None:
        rc = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if rc:
            self.error = os.strerror(rc)
            self.loop.unwatch(self.sock.fileno())
            return
        self._on_established()
        self.log.add(self.name, _("connected"))
        self._rewatch()

    def _rewatch(self) -> None:
        if self.closed:
            return
        if self.txbuf:  # reading goes on while writing: a peer blocked on sending to us must be drained
            self.loop.watch(self.sock.fileno(), self._on_ready_write, write=True, read=not (self.eof or self.held))
        elif self.eof or self.held:
            self.loop.unwatch(self.sock.fileno())
        else:
            self.loop.watch(self.sock.fileno(), self._on_readable)

    def _on_readable(self) -> None:
        if self.held or self.eof:
            return
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as e:
            data, self.error = b"", e.strerror or str(e)
            self.reset_by_peer = e.errno == errno.ECONNRESET
        if data:
            kept = self.loop.keep(len(data))
            self.rx += data[:kept]
            self.dropped += len(data) - kept
            self.log.data(self.name, _("received"), data)
        else:
            self.eof = True
            self.log.add(self.name, _("reset by peer (RST)") if self.reset_by_peer else _("closed by peer (FIN)"),
                         self.error or "")
        self._rewatch()

    def receive_capacity(self) -> int:
        """The most bytes the kernel holds for this connection before its window closes."""
        if self.fixed_buffer:
            return int(self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
        return probes.sysctl_max("net/ipv4/tcp_rmem")

    def hold(self) -> None:
        """Stop reading: what the peer sends stays in the kernel (the receive window closes)."""
        self.held = True
        self._rewatch()
        self.log.add(self.name, _("stops reading"))

    def release(self) -> None:
        if self.held:
            self.held = False
            self._rewatch()
            self.log.add(self.name, _("reads again"))

    def _on_ready_write(self) -> None:
        # Read first: an echo server blocked on a full send buffer must be drained or both sides stall.
        self._on_readable()
        if self.closed or not self.txbuf:
            return
        try:
            n = self.sock.send(self.txbuf[:65536])
        except BlockingIOError:
            return
        except OSError as e:
            self.error, self.txbuf = e.strerror or str(e), b""
            self.reset_by_peer = self.reset_by_peer or e.errno == errno.ECONNRESET
            self.log.add(self.name, _("send failed"), self.error)
        else:
            self.log.data(self.name, _("sent"), self.txbuf[:n])
            self.txbuf = self.txbuf[n:]
        self._rewatch()

    def send(self, data: bytes) -> None:
        self.sent += data
        self.txbuf += data
        self._rewatch()

    def shutdown(self) -> None:
        """Half-close: send FIN, keep reading (the server should then close its side)."""
        if not self.closed:
            self.sock.shutdown(socket.SHUT_WR)
            self.log.add(self.name, _("shut down its sending side (FIN)"))

    def close(self, reset: bool = False) -> None:
        if self.closed:
            return
        if reset:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.loop.unwatch(self.sock.fileno())
        self.sock.close()
        self.closed = True
        self.log.add(self.name, _("reset (RST)") if reset else _("closed"))


class Listener:
    """A scripted server's listening socket; accepted connections wait in `pending`."""

    def __init__(self, name: str, host: str, port: int, backlog: int, loop: Loop, log: Transcript) -> None:
        self.name, self.port, self.loop, self.log = name, port, loop, log
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(backlog)
        self.sock.setblocking(False)
        self.pending: collections.deque[socket.socket] = collections.deque()
        loop.watch(self.sock.fileno(), self._on_readable)
        log.add(name, _("listening"), _("port {port}").format(port=port))

    def _on_readable(self) -> None:
        with contextlib.suppress(BlockingIOError):
            sock = self.sock.accept()[0]
            self.pending.append(sock)


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
