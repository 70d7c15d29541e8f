"""A driver in a container, reached through the container's attach socket: Docker multiplexes the
driver's stdout and stderr on it in frames (Frames, sans-IO), and takes its stdin as is."""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import time
from collections.abc import Callable
from typing import Any

from ...errors import SandboxError
from ...i18n import _
from ..base import STDERR_TAIL
from .labels import remove_container

STDOUT, STDERR = 1, 2  # the stream of a frame (Docker Engine API, "Attach to a container": stream format)
HEADER = struct.Struct(">BxxxL")  # a frame's header: its stream, 3 zero bytes, the payload's size (big-endian)
STDERR_KEPT = 65536  # bytes of the driver's stderr kept (the last ones), of which STDERR_TAIL are shown
CHUNK = 65536  # bytes read from the socket at once


class Frames:
    """Docker's attach stream without a TTY, sans-IO: bytes in (feed, cut anywhere), the stdout
    payloads out; the stderr payloads kept (the last STDERR_KEPT bytes)."""

    def __init__(self) -> None:
        self._frames = b""
        self.stderr = bytearray()

    def feed(self, chunk: bytes) -> bytes:
        """The stdout bytes of the frames that `chunk` completes."""
        self._frames += chunk
        out = bytearray()
        while len(self._frames) >= HEADER.size:
            kind, size = HEADER.unpack(self._frames[:HEADER.size])
            if len(self._frames) < HEADER.size + size:
                break
            payload, self._frames = self._frames[HEADER.size:HEADER.size + size], self._frames[HEADER.size + size:]
            if kind == STDOUT:
                out += payload
            elif kind == STDERR:
                self.stderr += payload
                del self.stderr[:-STDERR_KEPT]
        return bytes(out)


def raw_socket(attached: Any) -> socket.socket:
    """The socket under what APIClient.attach_socket returns (a SocketIO for a unix socket)."""
    sock = getattr(attached, "_sock", attached)
    if not isinstance(sock, socket.socket):
        raise SandboxError(_("the docker backend cannot attach over this connection ({kind}); use a local engine "
                             "(unix socket) or --backend local").format(kind=type(attached).__name__))
    return sock


class DockerTransport:
    """A driver in a container: stdin/stdout/stderr over the attach socket (Docker's 8-byte frames)."""

    def __init__(self, api: Any, cid: str, attached: Any,
                 remove_later: Callable[[str], None] | None = None) -> None:
        self.api, self.cid, self.attached = api, cid, attached
        self.remove_later = remove_later  # removal off the scenario's critical path (bench/RESULTS.md)
        self.sock = raw_socket(attached)
        self.frames = Frames()
        self._ended = False
        self._removed = False
        self._done = False  # the driver has answered: its container may be removed in the background

    def write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):  # the driver ended: the outcome (or its absence) says why
            self.sock.sendall(data)

    def fileno(self) -> int:
        return self.sock.fileno()

    def read(self) -> bytes | None:
        try:
            chunk = self.sock.recv(CHUNK)
        except OSError:
            chunk = b""
        if not chunk:
            self._ended = True
            return None
        return self.frames.feed(chunk)

    def wait(self, timeout: float) -> None:
        """Wait for the end of the stream: the driver, the container's PID 1, has exited. That is
        also the end of every process in it (its pid namespace goes with it), so nothing of the
        scenario survives this wait. After it, with `remove_later`, the container's removal (20-45
        ms in dockerd) goes to the background; any other kill (a deadline) removes it at once."""
        deadline = time.monotonic() + timeout
        while not self._ended and (left := deadline - time.monotonic()) > 0:
            if select.select([self.sock], [], [], left)[0]:
                self.read()
        if not self._ended:
            self.kill()
        self._done = True

    def exit_status(self) -> int | None:
        try:
            return int(self.api.wait(self.cid, timeout=5)["StatusCode"])
        except Exception:  # auto_remove may have removed it already: the status is then unknown
            return None

    def stderr_tail(self) -> str:
        return self.frames.stderr.decode(errors="replace")[-STDERR_TAIL:]

    def interrupt(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # the reader's end of stream: its kill() removes the container

    def kill(self) -> None:
        if not self._removed:
            self._removed = True
            try:
                if self.remove_later is not None and self._done:
                    self.remove_later(self.cid)  # close() waits for it
                else:
                    remove_container(self.api, self.cid)
            finally:
                with contextlib.suppress(OSError):
                    self.attached.close()
                with contextlib.suppress(OSError):
                    self.sock.close()
