"""Checks written in Python: the `live_submission` fixture opens a sandbox whose driver runs the
scenario language's steps one at a time (`LiveSandbox.step`); `lang` is the run's language.

PYTEST_DONT_REWRITE: a plugin module (see __init__.py), imported before pytest registers it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ..assignment import Assignment, Scenario
from ..driver.wire import Reply, WireError
from ..errors import GraderError
from ..feedback import EXPECTED_OBSERVED
from ..i18n import _, current
from ..run import plan_for
from ..sandbox import DriverProcess
from .session import GRADING


class StepError(AssertionError):
    """A step of a Python check failed: its message is the student-facing explanation."""


class CheckError(GraderError):
    """A check written in Python asked for something the driver cannot do (an unknown step, bad
    arguments), or the driver failed: the check's or the grader's fault, never the student's."""


class LiveSandbox:
    """A sandbox whose driver runs steps one at a time (the same steps as in YAML)."""

    def __init__(self, proc: DriverProcess) -> None:
        self.proc = proc
        self.last: Reply | None = None
        self._received: dict[str, str] = {}

    def step(self, verb: str, args: Any = None) -> Reply:
        try:
            self.last = Reply.from_json(self.proc.request({verb: args if args is not None else {}}))
        except WireError as e:  # a driver out of step with this side: the grader's fault
            raise CheckError(_("step {verb!r}: {error}").format(verb=verb, error=e)) from e
        for client, text in self.last.received.items():  # what arrived since the last step
            self._received[client] = self._received.get(client, "") + text
        if self.last.grader_error is not None:
            raise CheckError(_("step {verb!r}: {error}").format(verb=verb, error=self.last.grader_error))
        if self.last.verdict is not None:
            verdict = self.last.verdict
            raise StepError(f"{verdict.reason}\n" + _(EXPECTED_OBSERVED).format(
                expected=verdict.expected, observed=verdict.observed))
        return self.last

    def received(self, client: str) -> str:
        """Everything `client` received so far (bytes as text, undecodable ones as \\xNN)."""
        return self._received.get(client, "")

    def close(self) -> dict[str, Any]:
        return self.proc.finish(end=True)


@pytest.fixture
def labgrade_assignment(request: pytest.FixtureRequest) -> Assignment:
    grading = request.config.stash[GRADING]
    for parent in Path(request.path).parents:
        if (parent / "assignment.yaml").is_file():
            try:
                return grading.assignment(parent)
            except GraderError as e:  # file:line and what to fix, not a traceback
                pytest.fail(str(e), pytrace=False)
    raise pytest.UsageError(f"{request.path} is not inside an assignment folder")


@pytest.fixture
def lang(labgrade_assignment: Assignment) -> str:
    """The language the run speaks (en, fr), for a check's own texts: `assert ok, {"fr": "...", "en": "..."}[lang]`."""
    return current()


@pytest.fixture
def live_submission(request: pytest.FixtureRequest,
                    labgrade_assignment: Assignment) -> Iterator[Callable[..., LiveSandbox]]:
    """`box = live_submission()` opens a sandbox with the submission; `box.step("connect", "alice")`."""
    grading = request.config.stash[GRADING]
    opened: list[LiveSandbox] = []

    def open_(timeout: float = 30.0) -> LiveSandbox:
        scenario = Scenario(name=request.node.name, tags=(), points=0, steps=(), timeout=timeout)
        staged = grading.staged(labgrade_assignment)
        plan = replace(plan_for(labgrade_assignment, scenario, staged.folder, staged.handin.files), interactive=True)
        proc = grading.sandbox.start(plan.to_json())
        proc.wait_ready()
        opened.append(LiveSandbox(proc))
        return opened[-1]

    yield open_
    for box in opened:
        box.close()

