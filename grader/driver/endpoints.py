"""The network endpoints a scenario talks through: scripted TCP clients (`Conn`) and the
listening socket of a scripted server (`Listener`).

They only register fds with the loop and buffer what arrives; the step interpreter decides
what the bytes mean. The programs a scenario runs are in program.py.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import os
import socket
import struct

from . import probes
from .i18n import _
from .loop import Loop
from .transcript import Transcript


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
