"""The pytest runs of a class run (grader/pytest_runs.py): each ends as a value the class run reads
(grader/outcome.py): Finished with pytest's exit status, TimedOut past its budget, Stopped on Ctrl-C."""

from __future__ import annotations

import os
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.outcome import Finished, PytestOutcome, Stopped, TimedOut
from grader.pytest_runs import PytestRuns
from grader.pytest_server import PytestServer
from tests.waiting import wait_for

TESTS = """
    import os, select

    def test_as_told():
        how = os.environ["HOW"]
        if how == "block":  # until the run is stopped or killed: says so first, for the test to wait on
            print("blocking", flush=True)
            select.select([], [], [])
        assert how == "pass"
"""


@pytest.fixture(scope="module")
def server() -> Iterator[PytestServer]:
    server = PytestServer()
    yield server
    server.close()


def run(runs: PytestRuns, tmp_path: Path, how: str, budget: float = 120, args: tuple[str, ...] = ()) -> PytestOutcome:
    tests = tmp_path / "test_told.py"
    tests.write_text(textwrap.dedent(TESTS))
    with open(tmp_path / "log", "wb") as out:
        args = ("-q", "-s", "-p", "no:cacheprovider", "--disable-plugin-autoload", *args)  # as grading.ini does
        return runs.run([*args, str(tests)],
                        out, {"HOW": how, "PATH": os.environ["PATH"]}, budget)


def test_a_run_that_ends_by_itself_is_finished_with_pytests_exit_status(server: PytestServer, tmp_path: Path) -> None:
    runs = PytestRuns(server)
    assert run(runs, tmp_path, "pass") == Finished(0)
    assert run(runs, tmp_path, "fail") == Finished(1)
    assert run(runs, tmp_path, "pass", args=("--no-such-option",)) == Finished(4)  # pytest's usage error
    assert [Finished(code).graded for code in (0, 1, 2, 4)] == [True, True, False, False]


def test_a_run_past_its_budget_is_timed_out_and_its_group_killed(server: PytestServer, tmp_path: Path) -> None:
    assert run(PytestRuns(server), tmp_path, "block", budget=0.5) == TimedOut()
    assert "blocking" in (tmp_path / "log").read_text()  # it did start: the budget ended it


def test_a_stopped_class_run_starts_nothing_more(server: PytestServer, tmp_path: Path) -> None:
    runs = PytestRuns(server)
    runs.stop()
    assert run(runs, tmp_path, "pass") == Stopped()
    assert (tmp_path / "log").read_bytes() == b""  # no pytest run wrote to it


def test_a_run_interrupted_by_stop_is_stopped(server: PytestServer, tmp_path: Path) -> None:
    runs = PytestRuns(server)
    outcomes: list[PytestOutcome] = []
    worker = threading.Thread(target=lambda: outcomes.append(run(runs, tmp_path, "block")))
    worker.start()
    log = tmp_path / "log"
    wait_for(lambda: log.exists() and "blocking" in log.read_text(), 60, "the pytest run to start its test")
    runs.stop()  # SIGINT: pytest ends its session (exit status 2), which a stopped class run does not grade
    worker.join()
    assert outcomes == [Stopped()]
    assert "KeyboardInterrupt" in log.read_text()
