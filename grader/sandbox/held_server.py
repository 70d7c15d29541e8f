"""A helper process that lives as long as its owner: the local backend's driver server, a class run's pytest
server."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
from typing import Any

from ..errors import SandboxError
from ..i18n import _
from .lifecycle import CLOSE_WITHIN, KILL, Process, stop


class HeldServer:
    """A helper process that serves its owner over a Unix socket pair (SOCK_SEQPACKET; the
    process's end is its stdin) and lives as long as its owner, not as long as whichever thread
    made it: a parent-death signal (`setpriv --pdeathsig`, PR_SET_PDEATHSIG) follows the thread
    that started the process, so a thread of its own starts it and waits until close(). The
    process ends when its socket closes (the local backend's driver server, grader/driver/zygote.py;
    a class run's pytest server, grader/pytest_server.py)."""

    def __init__(self, argv: list[str], what: str, **popen: Any) -> None:
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._released = threading.Event()
        started: list[subprocess.Popen[bytes] | BaseException] = []
        ready = threading.Event()

        def hold() -> None:
            try:
                started.append(subprocess.Popen(["setpriv", "--pdeathsig", "KILL", *argv], stdin=theirs.fileno(),
                                                stdout=subprocess.DEVNULL, **popen))
            except BaseException as e:  # raised in the opening thread
                started.append(e)
            ready.set()
            self._released.wait()

        threading.Thread(target=hold, name=f"labgrade-{what.replace(' ', '-')}", daemon=True).start()
        ready.wait()
        theirs.close()
        if isinstance(started[0], BaseException):
            self.sock.close()
            raise SandboxError(_("cannot start the {what}: {error}").format(what=what, error=started[0]))
        self.popen, self.what = started[0], what

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # the server sees the end of its socket and exits (and a
            # thread in recv() on this end returns: a close() alone would wake neither)
        self.sock.close()
        stop([Process(f"the {self.what}", pid=self.popen.pid)], KILL, asked=CLOSE_WITHIN)
        self.popen.wait()
        self._released.set()
