"""Warm pytest processes: one server per class run forks each submission's pytest run.

    python -m grader.pytest_server   (stdin: one end of a Unix socket pair with `grade`)

Theory of operation. A class run grades each submission in a pytest process of its own (a
crash costs that submission only: classrun.py). Starting one costs an interpreter and the
imports of pytest and labgrade, ~0.3 s of CPU (bench/RESULTS.md), which a class of a hundred pays
a hundred times. This server pays it once: it imports them, then for each request (the command
line, the environment and the working folder as JSON, the log file as a descriptor sent with
SCM_RIGHTS) forks a child that leads a session of its own, writes to the log, and runs pytest's
command line as `python -m pytest` would; it answers with the child's pid, and reports each
child's exit status (as subprocess's returncode: negative for a signal) once it has reaped it.
A request may also ask for a template (grader/plugin/template.py): a run that configures pytest
and collects the lab, then forks, the same way, a run of each submission `grade` asks it for
(its own socket to `grade`: TEMPLATE_FD; `Template` is `grade`'s end).
The server stays single-threaded (it forks), and dies with the thread of `grade` that started it
(`setpriv --pdeathsig KILL`); its children are interrupted when it dies (plugin/session.py, die_with_grade:
their parent is this server, whose pid they are given).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from .errors import GraderError
from .sandbox.base import PARENT_ENV, SHARED_FD
from .sandbox.held_server import HeldServer
from .sandbox.lifecycle import CLOSE_WITHIN

TEMPLATE_FD = SHARED_FD + 1  # where a template gets its socket to `grade` (grader/plugin/template.py)


def _child(request: dict[str, Any], log: int, extra: int | None) -> None:
    """In the forked child: the session, descriptors, environment and signals of a fresh
    `python -m pytest ARGS` started by `grade`, then pytest itself; `extra`, if any, becomes its
    SHARED_FD (the class run's sandbox, Sandbox.lend) or, for a template, its TEMPLATE_FD."""
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    at = TEMPLATE_FD if request.get("template") else SHARED_FD
    if extra is not None:
        os.dup2(extra, at)
    if at == TEMPLATE_FD:  # SHARED_FD held (on /dev/null, as 0 now is) for the runs it forks: no file of pytest's there
        os.dup2(0, SHARED_FD)
    elif extra is None:
        with contextlib.suppress(OSError):
            os.close(SHARED_FD)
    os.closerange(at + 1, os.sysconf("SC_OPEN_MAX"))
    enter(request)
    args = [str(a) for a in request["args"]]
    sys.argv = ["pytest", *args]
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    sys.stderr = os.fdopen(2, "w", buffering=1, closefd=False)
    import pytest

    # a normal exit: atexit handlers (a backend's clean-up) run, as in any pytest process
    sys.exit(int(pytest.main(args, ahead(request.get("plugins", [])))))


def enter(request: dict[str, Any]) -> None:
    """The signals, environment and working folder a run asked for, in the forked child (of the
    server, or of a template: grader/plugin/template.py); its parent is the process it dies with."""
    signal.pthread_sigmask(signal.SIG_SETMASK, ())
    for sig in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.default_int_handler if sig == signal.SIGINT else signal.SIG_DFL)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in request["env"].items()})
    os.environ[PARENT_ENV] = str(os.getppid())
    os.chdir(str(request["cwd"]))
    tempfile.tempdir = None  # TMPDIR as given


def ahead(names: list[str]) -> list[Any]:
    """The plugin modules `names`, each after those its `pytest_plugins` names (grader.plugin's
    modules), for pytest to register before it reads its `-p NAME` options and a plugin's
    `pytest_plugins`, which then find them loaded: it would look each name up among every
    installed package's entry points first (a scan of all their metadata, each time)."""
    found: list[Any] = []
    for name in names:
        module = importlib.import_module(name)
        found += [m for m in ahead(list(getattr(module, "pytest_plugins", ()))) if m not in found]
        found.append(module)
    return found


def serve(host: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """Fork a child for each request that arrives on `host` (JSON, with its descriptors), answer
    with its pid, and report each child's exit status once reaped; exit when `host` closes.
    Returns only in a forked child: its request and descriptors (the loop's own are closed)."""
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    sel = selectors.DefaultSelector()
    sel.register(host, selectors.EVENT_READ)
    sel.register(r, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj == r:
                with contextlib.suppress(BlockingIOError):
                    while os.read(r, 512):
                        pass
                while True:  # every child that ended: its status, as subprocess.Popen.returncode
                    try:
                        pid, status = os.waitpid(-1, os.WNOHANG)
                    except ChildProcessError:
                        break
                    if pid == 0:
                        break
                    host.send(json.dumps({"ended": pid, "returncode": os.waitstatus_to_exitcode(status)}).encode())
                continue
            data, fds, _, _ = socket.recv_fds(host, 1 << 20, 2)
            if not data:
                os._exit(0)  # `grade` closed its end
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                sel.close()
                os.close(r)
                os.close(w)
                host.close()
                return json.loads(data), fds
            for fd in fds:
                os.close(fd)
            host.send(json.dumps({"forked": pid}).encode())


def main() -> None:
    """`setpriv --pdeathsig KILL python -m grader.pytest_server`, its socket on stdin."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is `grade`'s to handle (pytest_runs.py)
    host = socket.socket(fileno=os.dup(0))
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    import _pytest.config  # what every child needs, imported once here (0.15 -> 0.12 s of CPU per run)
    import pytest  # noqa: F401

    from . import assignment, feedback, handin, plugin, run, sandbox  # noqa: F401

    # pytest's plugins (those grading.ini turns off too: other plugins import them) and pytest-timeout
    for name in [*(f"_pytest.{p}" for p in _pytest.config.default_plugins), "pytest_timeout"]:
        importlib.import_module(name)

    gc.freeze()  # what is imported stays out of every run's collections: they would write to (and so copy)
    # each page of it
    request, fds = serve(host)
    try:
        _child(request, fds[0], fds[1] if len(fds) > 1 else None)  # ends with SystemExit, which leaves through main()
    except Exception:
        import traceback

        traceback.print_exc()  # in the submission's log
        os._exit(70)


class Forked:
    """A pytest run forked by the server: what a class run needs of a subprocess.Popen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.ended = threading.Event()

    def wait(self, timeout: float | None = None) -> int:
        if not self.ended.wait(timeout):
            raise subprocess.TimeoutExpired("pytest", timeout or 0)
        assert self.returncode is not None
        return self.returncode


class Forks:
    """`grade`'s end of a process that forks pytest runs (the pytest server, or a template): the
    runs it asked for, and how each ended."""

    def __init__(self, sock: socket.socket, what: str) -> None:
        self.sock, self.what = sock, what
        self._lock = threading.Lock()
        self._runs: dict[int, Forked] = {}
        self._forked: list[int] = []
        self._changed = threading.Condition()
        self._gone = False
        self.ready = threading.Event()  # a template said it is ready, or ended first
        threading.Thread(target=self._read, name=f"labgrade-{what.replace(' ', '-')}-reader", daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                data = self.sock.recv(1 << 16)
            except OSError:
                data = b""
            with self._changed:
                if not data:  # it died: so did its runs (they are interrupted when it dies)
                    self._gone = True
                    for run in self._runs.values():
                        if run.returncode is None:
                            run.returncode = -signal.SIGKILL
                            run.ended.set()
                    self.ready.set()
                    self._changed.notify_all()
                    return
                message = json.loads(data)
                if "ready" in message:
                    self.ready.set()
                elif "forked" in message:
                    self._runs[message["forked"]] = Forked(message["forked"])
                    self._forked.append(message["forked"])
                else:
                    run = self._runs.setdefault(message["ended"], Forked(message["ended"]))
                    run.returncode = message["returncode"]
                    run.ended.set()
                self._changed.notify_all()

    @property
    def gone(self) -> bool:
        with self._changed:
            return self._gone

    def start(self, request: dict[str, Any], fds: list[int]) -> Forked:
        """Ask for a run (`request`, with its descriptors `fds`), and the run forked."""
        gone = f"the {self.what} has ended; see the log of the submission graded before"
        with self._lock:
            with self._changed:
                if self._gone:
                    raise GraderError(gone)
            socket.send_fds(self.sock, [json.dumps(request).encode()], fds)
            with self._changed:
                self._changed.wait_for(lambda: self._forked or self._gone)
                if not self._forked:
                    raise GraderError(gone)
                return self._runs[self._forked.pop(0)]


class PytestServer(HeldServer):
    """`grade`'s side: forks pytest runs through the server."""

    def __init__(self) -> None:
        super().__init__([sys.executable, "-m", "grader.pytest_server"], "pytest server")
        self.forks = Forks(self.sock, "pytest server")

    def start(self, args: list[str], env: dict[str, str], log: int, cwd: Path, lent: int | None = None,
              plugins: tuple[str, ...] = ()) -> Forked:
        """`pytest ARGS` in a session of its own, writing to `log`, with the environment `env`,
        `lent` as its SHARED_FD, and the modules `plugins` registered first (as `-p` would)."""
        request = {"args": args, "env": env, "cwd": str(cwd), "plugins": plugins}
        return self.forks.start(request, [log] if lent is None else [log, lent])


class Template:
    """A pytest session of a class run, configured and collected once (`args`, which name no
    submission), then forked for each submission's run, which takes it from there: its first
    test (grader/plugin/template.py). What each run would otherwise pay before its first test,
    pytest's configuration, its plugins' registration and the collection, is paid once.
    `usable` is False if the template ended before it was ready (the runs are then started
    the plain way: whatever stopped it stops each of them too, and says so in its log)."""

    def __init__(self, server: PytestServer, args: list[str], env: dict[str, str], cwd: Path,
                 plugins: tuple[str, ...], ready_within: float) -> None:
        self.args = args
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.forks = Forks(self.sock, "pytest template")
        self.said = ""  # what it wrote before its first test, if it was not usable (errors: a run says nothing else)
        with tempfile.TemporaryFile() as log:
            request = {"args": ["--labgrade-template", *args], "env": env, "cwd": str(cwd), "plugins": plugins,
                       "template": True}
            with theirs:  # its end is its own: it ends when it does
                self.proc = server.forks.start(request, [log.fileno(), theirs.fileno()])
            self.usable = self.forks.ready.wait(ready_within) and not self.forks.gone
            if not self.usable:
                self.close()
                log.seek(0)
                self.said = log.read().decode(errors="replace")

    def start(self, submission: Path, results: Path, env: dict[str, str], log: int, cwd: Path,
              lent: int | None = None) -> Forked:
        """The run of `submission`, which writes its results to `results` and its output to `log`."""
        request = {"submission": str(submission), "results": str(results), "env": env, "cwd": str(cwd)}
        return self.forks.start(request, [log] if lent is None else [log, lent])

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)  # it exits when its socket closes
        self.sock.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(CLOSE_WITHIN)


if __name__ == "__main__":
    main()
