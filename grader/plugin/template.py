"""A class run's template: one session configured and collected once, forked for each submission.

PYTEST_DONT_REWRITE: a plugin module (see __init__.py), imported before pytest registers it.

Theory of operation. `--labgrade-template` (given by `grade` only: grader/pytest_server.py,
Template) names no submission. The session is configured and collected as any other, then,
before its first test, it says it is ready on its socket to `grade` (TEMPLATE_FD) and serves:
for each request (a submission, its results file, the environment, the log and the lent sandbox
as descriptors) it forks a child, answers with the child's pid and reports its exit status once
reaped, as the pytest server does. The child becomes that submission's session, as if it had been
started for it and had just collected: its own session and descriptors (every copy of the
template's log, stdout, stderr and faulthandler's among them, now the submission's log), signals,
environment, the submission and results options, the output capture started afresh (the
template's capture files would be shared), the run's clock, and the sandbox opened ahead. Then it
returns here, and runs its tests, writes its results and exits as any run. The template never
runs a test. What a submission's run does from its first test on is the same code either way.
"""

from __future__ import annotations

import gc
import json
import os
import socket
import sys
import threading
from collections.abc import Generator
from typing import Any

import pytest
from _pytest import timing

from ..pytest_server import TEMPLATE_FD, enter, serve
from ..sandbox.base import SHARED_FD
from .session import GRADING, die_with_grade


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> Generator[None, object, object]:
    if session.config.getoption("labgrade_template"):
        become_a_run(session, *serve_runs(session))
    return (yield)


def serve_runs(session: pytest.Session) -> tuple[dict[str, Any], list[int], tuple[int, int]]:
    """Serve forks of this session; returns only in a forked child: its request and descriptors,
    and which file the template's log is."""
    if threading.active_count() != 1:  # a fork would copy a lock some thread holds
        raise pytest.UsageError(f"labgrade: a template forks no thread: {threading.enumerate()}")
    capture = session.config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.stop_global_capturing()
    sys.stdout.flush()
    sys.stderr.flush()
    log = os.fstat(1)
    host = socket.socket(fileno=TEMPLATE_FD)
    gc.freeze()  # what the session holds stays out of every run's collections (a collection writes to each page)
    host.send(json.dumps({"ready": os.getpid()}).encode())
    request, fds = serve(host)
    return request, fds, (log.st_dev, log.st_ino)


def become_a_run(session: pytest.Session, request: dict[str, Any], fds: list[int],
                 template_log: tuple[int, int]) -> None:
    """This forked child made the run of the request's submission (see the module's docstring)."""
    config = session.config
    log, lent = fds[0], (fds[1] if len(fds) > 1 else None)
    os.setsid()
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        try:
            st = os.fstat(fd)
        except OSError:  # the listing's own descriptor, closed by now
            continue
        if (st.st_dev, st.st_ino) == template_log:
            os.dup2(log, fd)
    if lent is not None:
        os.dup2(lent, SHARED_FD)  # held by the template until now (pytest_server._child)
    else:
        os.close(SHARED_FD)
    for fd in fds:
        if fd != SHARED_FD:
            os.close(fd)
    enter(request)
    config.option.labgrade_submission = request["submission"]
    config.option.labgrade_results = request["results"]
    die_with_grade()
    capture = config.pluginmanager.getplugin("capturemanager")
    if capture is not None:
        capture.start_global_capturing()
        capture.suspend_global_capture()
    reporter = config.pluginmanager.getplugin("terminalreporter")
    if reporter is not None and hasattr(reporter, "_session_start"):
        reporter._session_start = timing.Instant()  # "15 passed in 0.80s": this run's time, not the template's
    if not config.option.collectonly:
        config.stash[GRADING].open_ahead()
