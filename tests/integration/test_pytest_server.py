"""The pytest server of a class run (grader/pytest_server.py): each submission's pytest run is
forked from one warm process, and must be what `python -m pytest` started by `grade` would be:
a session of its own, only the environment given, its working folder, its own exit status
(a signal's as a negative number), its exit handlers run."""

from __future__ import annotations

import os
import signal
import textwrap
from pathlib import Path

import pytest

from grader.pytest_server import PytestServer, ahead

TESTS = """
    import atexit, os, signal

    def test_runs_as_a_fresh_pytest_process():
        assert os.environ["ONLY"] == "this"
        assert "LABGRADE_NOT_GIVEN" not in os.environ
        assert os.getsid(0) == os.getpid()  # it leads a session of its own
        assert os.getcwd() == {cwd!r}
        atexit.register(lambda: open({mark!r}, "w").write("exit handlers ran"))

    def test_may_fail():
        assert os.environ.get("FAIL") != "1"

    def test_may_die():
        if os.environ.get("DIE") == "1":
            os.kill(os.getpid(), signal.SIGKILL)
"""


def test_each_run_is_a_fresh_pytest_process_with_its_own_exit_status(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LABGRADE_NOT_GIVEN", "1")  # in the server's environment, not in the runs'
    mark = tmp_path / "mark"
    tests = tmp_path / "test_forked.py"
    tests.write_text(textwrap.dedent(TESTS.format(cwd=str(tmp_path), mark=str(mark))))
    server = PytestServer()
    try:
        def run(**env: str) -> tuple[int, str]:
            log = tmp_path / "log"
            with open(log, "wb") as out:
                forked = server.start(["-q", "-p", "no:cacheprovider", str(tests)],
                                      {"ONLY": "this", "PATH": os.environ["PATH"], **env}, out.fileno(), tmp_path)
                code = forked.wait(120)
            return code, log.read_text()

        code, log = run()
        assert (code, mark.read_text()) == (0, "exit handlers ran"), log
        assert run(FAIL="1")[0] == 1
        assert run(DIE="1")[0] == -signal.SIGKILL
    finally:
        server.close()
    assert server.popen.returncode == 0  # it ended when its socket closed


def test_a_runs_plugins_are_registered_before_those_that_name_them() -> None:
    """pytest registers a plugin's `pytest_plugins` when it registers the plugin, looking each
    name up among every installed package's entry points first, unless it is loaded: the forked
    run hands pytest grader.plugin's modules ahead of grader.plugin, in the order it names them."""
    import grader.plugin

    names = [m.__name__ for m in ahead(["grader.plugin", "pytest_timeout"])]
    assert names == [*grader.plugin.pytest_plugins, "grader.plugin", "pytest_timeout"]
