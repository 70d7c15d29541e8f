"""The things a scenario talks to: scripted TCP clients (`Conn`) and programs (`Program`).

Both only register fds with the loop and buffer what arrives; the step interpreter decides
what the bytes mean. Programs get an environment built from scratch, stdin on a pty in
canonical mode without echo (a terminal, as a student uses it), stdout and stderr on pipes
with PYTHONUNBUFFERED=1 (linux-probes.md, item 4). Stopping a program is one routine:
SIGTERM, then SIGKILL after a grace period, and it says which one ended it.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import os
import signal
import socket
import struct
import subprocess
import termios
from collections.abc import Callable

from .jail import StudentPreexec
from .loop import Deadline, Loop
from .transcript import Transcript

STORE_CAP = 1 << 20  # bytes of a program's stdout/stderr kept; the rest is counted and dropped
TAIL = 2000  # bytes of stderr shown in feedback
TERM_GRACE = 1.0  # seconds between SIGTERM and SIGKILL


class Conn:
    """A scripted client connection; everything received is kept in `rx`."""

    def __init__(self, name: str, loop: Loop, log: Transcript, sock: socket.socket | None = None) -> None:
        self.name, self.loop, self.log = name, loop, log
        self.sock = sock or socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setblocking(False)
        self.rx = bytearray()
        self.cursor = 0  # rx bytes already matched by expectations
        self.sent = bytearray()
        self.echo_cursor = 0  # sent bytes already expected back
        self.txbuf = b""
        self.connected = False
        self.error: str | None = None
        self.eof = False
        self.closed = False
        if sock is not None:  # accepted by a scripted server
            self.connected = True
            self.log.add(name, "accepted", "the client connected")
            self._rewatch()

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
        self.connected = True
        self.log.add(self.name, "connected")
        self._rewatch()

    def _rewatch(self) -> None:
        if self.closed:
            return
        if self.txbuf:
            self.loop.watch(self.sock.fileno(), self._on_ready_write, write=True)
        elif self.eof:
            self.loop.unwatch(self.sock.fileno())
        else:
            self.loop.watch(self.sock.fileno(), self._on_readable)

    def _on_readable(self) -> None:
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as e:
            data, self.error = b"", e.strerror or str(e)
        if data:
            self.rx += data
            self.log.data(self.name, "received", data)
        else:
            self.eof = True
            self.log.add(self.name, "closed by peer", self.error or "")
        self._rewatch()

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
            self.log.add(self.name, "send failed", self.error)
        else:
            self.log.data(self.name, "sent", self.txbuf[:n])
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
            self.log.add(self.name, "shut down its sending side (FIN)")

    def close(self, reset: bool = False) -> None:
        if self.closed:
            return
        if reset:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.loop.unwatch(self.sock.fileno())
        self.sock.close()
        self.closed = True
        self.log.add(self.name, "reset (RST)" if reset else "closed")


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
        log.add(name, "listening", f"port {port}")

    def _on_readable(self) -> None:
        with contextlib.suppress(BlockingIOError):
            sock, _ = self.sock.accept()
            self.pending.append(sock)


class Stream:
    """A pipe from a program, pumped into a capped buffer."""

    def __init__(self, who: str, name: str, fd: int, loop: Loop, log: Transcript) -> None:
        self.who, self.name, self.fd, self.loop, self.log = who, name, fd, loop, log
        self.data = bytearray()
        self.total = 0
        self.cursor = 0
        self.eof = False
        os.set_blocking(fd, False)
        loop.watch(fd, self._on_readable)

    def _on_readable(self) -> None:
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

    def tail(self) -> str:
        text = bytes(self.data[-TAIL:]).decode("utf-8", "replace")
        if self.total > len(self.data):
            text += f"\n[{truncation_note(self.name, self.total, len(self.data))}]"
        return text


def truncation_note(stream: str, total: int, kept: int) -> str:
    """'stdout: 200.0 MB written, first 1 MiB kept' (what the grader stores of a flood)."""
    size = f"{total / 1e6:.1f} MB" if total >= 1e5 else f"{total} bytes"
    shown = f"{kept >> 20} MiB" if kept and kept % (1 << 20) == 0 else f"{kept} bytes"
    return f"{stream}: {size} written, first {shown} kept"


class Program:
    """A running program (student's or reference), its streams, pty and exit status."""

    def __init__(
        self, name: str, argv: list[str], *, cwd: str, env: dict[str, str], loop: Loop, log: Transcript,
        preexec: Callable[[], None] | None = None, student: bool,
    ) -> None:
        self.name, self.argv, self.loop, self.log, self.student = name, argv, loop, log, student
        self.pty_master, slave = os.openpty()
        attrs = termios.tcgetattr(slave)
        attrs[3] &= ~termios.ECHO
        attrs[1] &= ~termios.OPOST
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        try:
            self.proc = subprocess.Popen(
                argv, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=None if preexec else cwd,
                env=env, start_new_session=True, preexec_fn=preexec, close_fds=True,
            )
        finally:
            os.close(slave)
        assert self.proc.stdout and self.proc.stderr
        self.stdout = Stream(name, "stdout", os.dup(self.proc.stdout.fileno()), loop, log)
        self.stderr = Stream(name, "stderr", os.dup(self.proc.stderr.fileno()), loop, log)
        self.proc.stdout.close()
        self.proc.stderr.close()
        self.killed_by_grader = False
        self.exit_logged = False
        self.confinement = preexec
        log.add(name, "started", " ".join(argv))

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def returncode(self) -> int | None:
        return self.proc.poll()

    def type(self, data: bytes) -> None:
        os.write(self.pty_master, data)

    def exit_text(self) -> str:
        """How the program ended, and why when a limit of the sandbox is the cause (the signal
        and the sandbox's cgroup counters say which: memory, CPU, file size, processes)."""
        rc = self.proc.returncode
        if rc is None:
            return "still running"
        sig = -rc if rc < 0 else None
        text = f"exited with code {rc}" if sig is None else f"killed by {signal.Signals(sig).name}"
        reasons = ["sent by the grader"] if sig is not None and self.killed_by_grader else []
        if isinstance(self.confinement, StudentPreexec):
            reasons += self.confinement.why(sig)
        return text + (f" ({'; '.join(reasons)})" if reasons else "")

    def signal(self, sig: signal.Signals) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, sig)
            self.log.add(self.name, f"sent {sig.name}")

    def stop(self, loop: Loop) -> None:
        """SIGTERM, then SIGKILL after TERM_GRACE; the program only (its children are the scenario's to judge)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGCONT)  # a paused program would not act on SIGTERM
        for sig, grace in ((signal.SIGTERM, TERM_GRACE), (signal.SIGKILL, 5.0)):
            if self.proc.poll() is not None:
                break
            self.killed_by_grader = True
            self.log.add(self.name, f"sent {sig.name}", "by the grader" + (f", {grace:g} s to exit"
                                                                            if sig == signal.SIGTERM else ""))
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, sig)
            loop.wait_until(lambda: self.proc.poll(), Deadline.after(grace))
        self.log_exit()

    def log_exit(self) -> None:
        """Put the program's end in the transcript, once (whoever reaped it first)."""
        if self.proc.returncode is not None and not self.exit_logged:
            self.exit_logged = True
            self.log.add(self.name, self.exit_text())

    def drain(self, loop: Loop, deadline: Deadline) -> None:
        """After exit: collect what is still in the pipes (grandchildren may hold them open)."""
        loop.wait_until(lambda: (self.stdout.eof and self.stderr.eof) or None, deadline)
