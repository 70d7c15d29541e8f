"""The pytest server of a class run (grader/pytest_server.py): each submission's pytest run is
forked from one warm process, and must be what `python -m pytest` started by `grade` would be:
a session of its own, only the environment given, its working folder, its own exit status
(a signal's as a negative number), its exit handlers run."""

from __future__ import annotations

import os
import signal
import socket
import textwrap
from pathlib import Path

import pytest

from grader.pytest_runs import GRADING_PLUGINS
from grader.pytest_server import PytestServer, Template, ahead
from grader.sandbox.base import SHARED_FD

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


TEMPLATE_TESTS = """
    import os, stat
    from _pytest.faulthandler import fault_handler_stderr_fd_key

    COLLECTED_BY = os.getpid()  # the module is imported once, by the template, when it collects

    def test_each_run_is_the_template_forked_for_one_submission(request):
        assert os.getppid() == COLLECTED_BY and os.getsid(0) == os.getpid()
        assert os.environ["ONLY"] == "this" and "LABGRADE_NOT_GIVEN" not in os.environ
        who = os.path.basename(request.config.getoption("labgrade_submission"))
        # lent a sandbox, ada has it on SHARED_FD, which the template held (no file of pytest's there)
        lent = {shared} in map(int, os.listdir("/proc/self/fd")) and stat.S_ISSOCK(os.fstat({shared}).st_mode)
        assert lent == (who == "ada")
        print(f"printed by {{who}}")  # captured: shown under the failure of this run only
        os.write(2, f"written to stderr by {{who}}\\n".encode())
        copy = request.config.stash[fault_handler_stderr_fd_key]
        os.write(copy, f"faulthandler's copy of stderr, {{who}}\\n".encode())
        with open({started!r} + who, "w"):
            pass
        while not os.path.exists({started!r} + ("bob" if who == "ada" else "ada")):
            pass  # both runs at once: each must still write to its own log
        assert who != "bob"
"""


def test_a_template_is_forked_for_each_submission_as_its_own_run(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A class run's template configures and collects once (the module's pid), then each run it
    forks is that submission's: a session of its own, its environment, its submission and results
    options, its own log for every copy of the output descriptors, its own captured output, its
    own exit status; two runs at once do not mix."""
    monkeypatch.setenv("LABGRADE_NOT_GIVEN", "1")
    tests = tmp_path / "test_template.py"
    tests.write_text(textwrap.dedent(TEMPLATE_TESTS.format(started=str(tmp_path / "started-"), shared=SHARED_FD)))
    env = {"ONLY": "this", "PATH": os.environ["PATH"]}
    server = PytestServer()
    try:
        args = ["-q", "-p", "no:cacheprovider", "--disable-plugin-autoload", "--backend=local", str(tests)]
        template = Template(server, args, env, tmp_path, GRADING_PLUGINS, 120)
        assert template.usable
        lent, _ = socket.socketpair()
        with open(tmp_path / "ada.log", "wb") as ada_log, open(tmp_path / "bob.log", "wb") as bob_log, lent, _:
            runs = {who: template.start(tmp_path / who, tmp_path / f"{who}.json", env, out.fileno(), tmp_path,
                                        lent.fileno() if who == "ada" else None)
                    for who, out in (("ada", ada_log), ("bob", bob_log))}
            codes = {who: run.wait(120) for who, run in runs.items()}
        template.close()
    finally:
        server.close()
    assert codes == {"ada": 0, "bob": 1}
    ada, bob = ((tmp_path / f"{who}.log").read_text() for who in ("ada", "bob"))
    assert "1 passed" in ada and "1 failed" in bob, (ada, bob)
    assert "faulthandler's copy of stderr, ada" in ada and "faulthandler's copy of stderr, bob" in bob
    assert "printed by bob" in bob and "written to stderr by bob" in bob  # captured, shown under its failure
    assert "printed by" not in ada and "written to stderr" not in ada  # she passed: captured, not shown
    assert not any(f"{what} ada" in bob or f"{what} bob" in ada for what in ("by", "stderr,"))  # nothing of the other
    assert (tmp_path / "ada.json").exists() and (tmp_path / "bob.json").exists()  # each run's own results


def test_a_template_that_cannot_collect_is_not_used(tmp_path: Path) -> None:
    """A template that ends before its first test (here, pytest refuses its command line) is not
    usable: `grade` starts those runs the plain way, each of which then says what is wrong."""
    server = PytestServer()
    try:
        args = ["-q", "--disable-plugin-autoload", "--no-such-option", str(tmp_path)]
        template = Template(server, args, {"PATH": os.environ["PATH"]}, tmp_path, GRADING_PLUGINS, 120)
        assert not template.usable
        assert "--no-such-option" in template.said
    finally:
        server.close()
