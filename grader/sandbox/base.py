"""The sandbox interface: start the driver somewhere isolated, talk JSON lines to it."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, ClassVar, Protocol

from ..driver.wire import Ready, WireError
from ..errors import DriverError
from ..i18n import _
from .lifecycle import KILL, KILL_UNWAITED, Process, stop

OUTCOME_STATUSES = ("passed", "failed", "error")
GRACE = 15.0  # seconds the host waits beyond the driver's own deadline before killing the sandbox
RUN_ENV = "LABGRADE_RUN_ID"  # one run id for a `grade` command and the pytest processes it starts
SHARED_ENV = "LABGRADE_SHARED_SANDBOX"  # a class run's sandbox, lent to its pytest runs (Sandbox.lend)
SHARED_FD = 3  # the descriptor a pytest run gets it on
PARENT_ENV = "LABGRADE_PARENT_PID"  # `grade`'s pid, for the pytest processes it starts (they die with it)
GRADER_PACKAGE = Path(__file__).resolve().parent.parent
STDERR_TAIL = 3000  # characters of a driver's stderr kept in a DriverError (the end: where a traceback says why)


def copy_driver(dest: Path) -> Path:
    """A private copy of the in-sandbox driver (grader/__init__.py, grader/driver/*.py, standard
    library only, and the compiled catalogs, grader/locale/*/LC_MESSAGES/*.mo) under dest/grader:
    a run never imports from the live checkout, which may be edited while it runs. Returns dest,
    the directory to put on the driver's sys.path."""
    package = dest / "grader"
    (package / "driver").mkdir(parents=True)
    shutil.copy2(GRADER_PACKAGE / "__init__.py", package / "__init__.py")
    for module in (GRADER_PACKAGE / "driver").glob("*.py"):
        shutil.copy2(module, package / "driver" / module.name)
    for catalog in (GRADER_PACKAGE / "locale").glob("*/LC_MESSAGES/*.mo"):  # the driver's messages (driver/i18n.py)
        (package / catalog.relative_to(GRADER_PACKAGE)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(catalog, package / catalog.relative_to(GRADER_PACKAGE))
    return dest


class StartsAhead:
    """How many sandboxes are still to start in this run (Sandbox.expect; unknown until said), so
    that a backend makes no spare that nothing will use. Callers hold their own lock."""

    def __init__(self) -> None:
        self.left: int | None = None

    def one_started(self) -> None:
        if self.left is not None:
            self.left = max(0, self.left - 1)

    def worth(self, spares: int) -> bool:
        """Whether one spare more than `spares` would be used."""
        return self.left is None or self.left > spares


class Sandbox(Protocol):
    name: str
    one_at_a_time: bool  # scenarios must not overlap (the process backend: one network for all)
    caveat: str | None  # what it cannot isolate, said in each run's log

    @classmethod
    def unavailable(cls) -> str | None:
        """None when this backend can run here, else what is missing and how to get it."""

    @classmethod
    def fingerprint(cls) -> dict[str, str]:
        """What of this machine the backend's results depend on, beyond the grader's code, the
        kernel and the machine (a part of the cache's keys: grader/cache.py). May raise: the
        backend cannot run here."""

    @classmethod
    def sweep(cls, within: float) -> None:
        """Remove what this run's sandboxes left when their pytest process was killed before its
        own clean-up (a class run stopped by Ctrl-C), `within` seconds at most for a cgroup."""

    def start(self, plan: dict[str, Any]) -> DriverProcess:
        """Start the driver on `plan` (see grader/driver/__main__.py) in a fresh sandbox."""

    def run(self, plan: dict[str, Any]) -> dict[str, Any]:
        """Run a whole plan and return the driver's validated outcome."""

    def lend(self) -> tuple[str, socket.socket] | None:
        """What a pytest run of the class needs to use this backend's sandboxes rather than make its
        own (docker's warm container): a value for SHARED_ENV and a socket it gets as SHARED_FD.
        None: each run opens its own backend."""

    def expect(self, starts: int) -> None:
        """`starts` more sandboxes will be started in this run: no more than that are made ahead
        (a spare made for nothing costs a driver's start-up, or a container's)."""

    def close(self) -> None:
        """Remove whatever the backend made for this run."""


class Transport(Protocol):
    """The byte pipes to one driver: a child process (local) or a container's attach socket (docker)."""

    def write(self, data: bytes) -> None:
        """Send bytes to the driver's stdin (a driver that already ended is not an error)."""

    def fileno(self) -> int:
        """A file descriptor that selects readable when read() has something to return."""

    def read(self) -> bytes | None:
        """The driver's stdout bytes that arrived (maybe b""), or None at the end of its output."""

    def wait(self, timeout: float) -> None:
        """Wait for the driver to exit (past `timeout`, end it)."""

    def exit_status(self) -> int | None:
        """The driver's exit status once it ended, None if unknown."""

    def stderr_tail(self) -> str:
        """The end of what the driver wrote on stderr (after it ended)."""

    def kill(self) -> None:
        """End the driver and its sandbox now, and release the pipes. Idempotent."""

    def interrupt(self) -> None:
        """From another thread than the one reading: end the driver, release nothing. The reader
        sees the end of the output (a pipe closed under a thread's select() would not wake it)."""


class PopenTransport:
    """A driver started as a child process, with piped stdin, stdout and stderr."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        assert popen.stdin and popen.stdout
        self.popen = popen

    def write(self, data: bytes) -> None:
        assert self.popen.stdin
        try:
            self.popen.stdin.write(data)
            self.popen.stdin.flush()
        except BrokenPipeError:
            pass

    def fileno(self) -> int:
        assert self.popen.stdout
        return self.popen.stdout.fileno()

    def read(self) -> bytes | None:
        return os.read(self.fileno(), 65536) or None

    def wait(self, timeout: float) -> None:
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:  # past its deadline: ended, not waited for forever
            self.kill()

    def exit_status(self) -> int | None:
        return self.popen.returncode

    def stderr_tail(self) -> str:
        return self.popen.stderr.read().decode(errors="replace")[-STDERR_TAIL:] if self.popen.stderr else ""

    def interrupt(self) -> None:
        if self.popen.returncode is None:  # (not reaped: its pid is still its own)
            stop([Process("a driver", pid=self.popen.pid)], KILL_UNWAITED)

    def kill(self) -> None:
        if self.popen.poll() is None:
            stop([Process("a driver", pid=self.popen.pid)], KILL)
            self.popen.wait()
        for f in (self.popen.stdin, self.popen.stdout, self.popen.stderr):
            if f:
                with contextlib.suppress(OSError):
                    f.close()


class DriverProcess:
    """A driver running in a sandbox, reached through its stdin/stdout (one JSON value per line)."""

    live: ClassVar[set[DriverProcess]] = set()  # the drivers of this process not killed yet (interrupt_all)
    interrupted: ClassVar = False  # interrupt_all() was called: a driver started later ends at once
    _live_lock: ClassVar = threading.Lock()

    def __init__(self, transport: Transport, plan: dict[str, Any], cleanup: Any = None) -> None:
        self.transport, self.cleanup = transport, cleanup
        self.deadline = time.monotonic() + float(plan["timeout"]) + GRACE
        self._buf = bytearray()
        self._killing = threading.Lock()
        with self._live_lock:
            self.live.add(self)
            if self.interrupted:
                transport.interrupt()
        self._send(plan)

    def _send(self, value: dict[str, Any]) -> None:
        self.transport.write(json.dumps(value).encode() + b"\n")

    def _line(self) -> dict[str, Any]:
        with selectors.DefaultSelector() as sel:
            sel.register(self.transport.fileno(), selectors.EVENT_READ)
            searched = 0  # the buffer before this held no newline: each byte is looked at once
            while self._buf.find(b"\n", searched) < 0:
                searched = len(self._buf)
                left = self.deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self.kill()
                    raise DriverError(_("the sandbox did not answer before its deadline and was killed"))
                chunk = self.transport.read()
                if chunk is None:
                    if self.interrupted:
                        raise DriverError(_("the grading was interrupted"))
                    self.transport.wait(max(0.1, self.deadline - time.monotonic()))
                    code, err = self.transport.exit_status(), self.transport.stderr_tail()
                    ended = _("the driver ended without an outcome") if code is None else _(
                        "the driver ended without an outcome (exit {code})").format(code=code)
                    raise DriverError(f"{ended}\n{err}")
                self._buf += chunk
        end = self._buf.index(b"\n")
        line = bytes(self._buf[:end])
        del self._buf[:end + 1]
        try:
            value = json.loads(line)
        except ValueError as e:
            raise DriverError(_("the driver sent something that is not JSON: {line!r}").format(line=line[:200])) from e
        if not isinstance(value, dict):
            raise DriverError(_("the driver sent {kind}, expected an object").format(kind=type(value).__name__))
        return value

    def request(self, step: dict[str, Any]) -> dict[str, Any]:
        self._send(step)
        return self._line()

    def wait_ready(self) -> None:
        try:
            Ready.from_json(self._line())
        except WireError as e:
            raise DriverError(_("the driver did not say it was ready")) from e

    def finish(self, end: bool = False) -> dict[str, Any]:
        try:
            if end:
                self._send({"end": True})
            outcome = self._line()
            if outcome.get("status") not in OUTCOME_STATUSES or not isinstance(outcome.get("transcript"), dict):
                raise DriverError(_("the driver's outcome is malformed: {outcome}").format(outcome=str(outcome)[:300]))
            self.transport.wait(max(0.1, self.deadline - time.monotonic()))
            return outcome
        finally:
            self.kill()

    def kill(self) -> None:
        """End the sandbox and remove what was made for it (idempotent; from any thread)."""
        with self._killing:
            with self._live_lock:
                self.live.discard(self)
            self.transport.kill()
            cleanup, self.cleanup = self.cleanup, None
            if cleanup:
                cleanup()

    @classmethod
    def interrupt_all(cls) -> None:
        """End every driver of this process, those running and those still to start: on an
        interrupt, the scenarios graded side by side by other threads end now, their results no
        longer wanted. Each thread then sees its driver's end (a DriverError) and cleans up after it."""
        with cls._live_lock:
            cls.interrupted = True
            running = list(cls.live)
        for proc in running:
            proc.transport.interrupt()
