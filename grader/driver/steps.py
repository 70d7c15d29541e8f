"""The step interpreter: a scenario's steps, executed in order against real programs and sockets.

Every step either returns (its condition held, the moment it held) or raises `StepFailed` with
what was expected and what was observed (runner.py states the rules all steps share). A step
that names `each: N` acts on N endpoints at once ("c{i}" for i = 1..N): the N connects, sends
or expectations run concurrently and the step waits for all of them. The steps are grouped by
what they act on: conn_steps.py, program_steps.py, measure_steps.py.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .conn_steps import ConnSteps
from .loop import Deadline
from .matching import show
from .measure_steps import MeasureSteps
from .program_steps import ProgramSteps
from .runner import BOUND_RE, DEFAULT_WITHIN, START_WITHIN, StepFailed
from .stepspec import STEPS as SPECS
from .stepspec import VERBS, with_key

__all__ = ["BOUND_RE", "DEFAULT_WITHIN", "START_WITHIN", "STEPS", "Runner", "StepFailed", "describe"]


STEPS = frozenset(SPECS)  # every verb of the scenario language: stepspec.py defines each


class Runner(ConnSteps, ProgramSteps, MeasureSteps):
    VERBS: ClassVar[dict[str, str]] = VERBS  # verb -> the key its short form stands for (stepspec.py)

    def run_step(self, step: dict[str, Any]) -> None:
        ((verb, args),) = step.items()
        try:
            getattr(self, SPECS[verb].method)(with_key(verb, args))  # `connect: alice` is `connect: {as: alice}`
        except StepFailed as e:
            raise self.annotate(e) from None

    def teardown(self) -> None:
        for c in self.conns.values():
            c.close()
        for listener in self.listeners.values():
            listener.sock.close()
        for p in self.programs.values():
            p.stop(self.loop)
        for p in self.programs.values():
            p.drain(self.loop, Deadline.after(0.2))
            p.close_pty()


def describe(step: dict[str, Any]) -> str:
    """A step as a person would say it: 'expect alice: "hello\\n"'."""
    ((verb, args),) = step.items()
    if not isinstance(args, dict):
        return f"{verb} {args}"
    parts = [f"{k}={show(v.encode()) if isinstance(v, str) and k == 'data' else v}" for k, v in args.items()]
    return f"{verb} " + ", ".join(parts)
