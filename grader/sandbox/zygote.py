"""The host's end of a driver server (grader/driver/zygote.py), which forks each scenario's driver
into new namespaces: the server itself (Zygote, the local backend's; the docker backend's warm
container runs one too), a forked driver's pipes and keeper (ForkedTransport), and the drivers
forked ahead (Spares). The theory of operation is in local.py ("Start-up", "Teardown")."""

from __future__ import annotations

import contextlib
import os
import select
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from ..errors import SandboxError
from ..i18n import _
from .base import STDERR_TAIL, StartsAhead
from .held_server import HeldServer
from .lifecycle import KILL, KILL_UNWAITED, Process, stop

ZYGOTE_BOOT = "import sys; sys.path.insert(0, sys.argv[1]); from grader.driver.zygote import main; main(sys.argv[2:])"


class ForkedTransport:
    """A driver forked by the zygote: pipes to its stdin, stdout and stderr, and a pidfd of its
    keeper (grader/driver/zygote.py), whose death ends the sandbox."""

    def __init__(self, pidfd: int, stdin: int, stdout: int, stderr: int) -> None:
        self.pidfd, self.stdin, self.stdout, self.stderr = pidfd, stdin, stdout, stderr
        self.closed = False

    def keeper(self) -> Process:
        return Process("a sandbox's keeper", pidfd=self.pidfd)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self.stdin, view):]
        except (BrokenPipeError, OSError):
            pass

    def fileno(self) -> int:
        return self.stdout

    def read(self) -> bytes | None:
        return os.read(self.stdout, 65536) or None

    def ended(self, timeout: float | None = 0) -> bool:
        return bool(select.select([self.pidfd], [], [], timeout)[0])

    def wait(self, timeout: float) -> None:
        if not self.ended(timeout):  # past its deadline: ended, not waited for forever
            self.kill()

    def exit_status(self) -> int | None:
        return None  # the zygote's child: only the zygote may wait for it

    def stderr_tail(self) -> str:
        with contextlib.suppress(OSError), os.fdopen(os.dup(self.stderr), "rb") as f:
            return f.read().decode(errors="replace")[-STDERR_TAIL:]
        return ""

    def interrupt(self) -> None:
        stop([self.keeper()], KILL_UNWAITED)  # its driver, PID 1 of the sandbox, dies with it

    def kill(self) -> None:
        if self.closed:
            return
        stop([self.keeper()], KILL)
        self.closed = True
        for fd in (self.stdin, self.stdout, self.stderr, self.pidfd):
            with contextlib.suppress(OSError):
                os.close(fd)


class DriverServer:
    """The host's end of a driver server's socket (grader/driver/zygote.py): forks drivers."""

    def __init__(self, sock: socket.socket, what: str) -> None:
        self.sock, self.what = sock, what
        self._lock = threading.Lock()

    def fork(self) -> ForkedTransport:
        """A new driver in new namespaces, waiting for its plan."""
        stdin, stdout, stderr = os.pipe2(os.O_CLOEXEC), os.pipe2(os.O_CLOEXEC), os.pipe2(os.O_CLOEXEC)
        try:
            with self._lock:
                socket.send_fds(self.sock, [b"fork"], [stdin[0], stdout[1], stderr[1]])
                fds = socket.recv_fds(self.sock, 32, 1)[1]
        except OSError as e:
            fds, why = [], str(e)
        else:
            why = "it ended"
        finally:
            for fd in (stdin[0], stdout[1], stderr[1]):
                os.close(fd)
        if len(fds) != 1:
            for fd in (stdin[1], stdout[0], stderr[0], *fds):
                os.close(fd)
            raise SandboxError(_("the {what} did not fork a driver ({why}); its errors are in this run's log").format(
                what=self.what, why=why))
        return ForkedTransport(fds[0], stdin[1], stdout[0], stderr[0])

    def channel(self) -> socket.socket:
        """A channel of its own to the same server, for another process (its own requests, and
        its own keepers, killed when it closes the channel): one end of a new socket pair."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with self._lock:
                socket.send_fds(self.sock, [b"channel"], [theirs.fileno()])
        finally:
            theirs.close()
        return mine

    def check(self, procs: list[str], jail: str) -> str | None:
        """Whether a driver could make its namespaces, mount its /proc and a tmpfs at `jail`, and
        move a process into the cgroups whose cgroup.procs are `procs`: None, or why not."""
        with self._lock:
            self.sock.sendall("\0".join(["check", jail, *procs]).encode())
            answer = self.sock.recv(4096).decode(errors="replace")
        return None if answer == "ok" else answer or f"the {self.what} ended"


class Zygote(HeldServer):
    """The driver server (grader/driver/zygote.py) of one backend."""

    def __init__(self, python: str, lib: Path, netns: int | None) -> None:
        super().__init__([python, "-I", "-S", "-c", ZYGOTE_BOOT, str(lib), *([] if netns is None else [str(netns)])],
                         "local sandbox's driver server", pass_fds=() if netns is None else (netns,),
                         env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
        self.server = DriverServer(self.sock, "local sandbox's driver server")


class Spares:
    """The drivers forked ahead: each thread that starts scenarios gets the spare forked during its
    previous scenario (fresh namespaces, waiting for its plan), and a new spare for its next one,
    unless no more scenarios are expected (Sandbox.expect). close() kills the spares left."""

    def __init__(self, fork: Callable[[], ForkedTransport]) -> None:
        self.fork = fork
        self._spares: dict[int, ForkedTransport] = {}  # thread -> the driver it started ahead
        self._starts = StartsAhead()
        self._lock = threading.Lock()

    def take(self) -> ForkedTransport:
        with self._lock:
            spare = self._spares.pop(threading.get_ident(), None)
        if spare is not None and spare.ended():
            spare.kill()
            spare = None
        driver = spare or self.fork()
        with self._lock:
            self._starts.one_started()
            wanted = self._starts.worth(len(self._spares))  # the other threads' spares
        if wanted:
            fresh = self.fork()
            with self._lock:
                self._spares[threading.get_ident()] = fresh
        return driver

    def expect(self, starts: int) -> None:
        with self._lock:
            self._starts.left = starts

    def close(self) -> None:
        with self._lock:
            spares, self._spares = list(self._spares.values()), {}
        for spare in spares:
            spare.kill()
