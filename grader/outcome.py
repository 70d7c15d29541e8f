"""How a submission's pytest run ended (grader/pytest_runs.py), as a value the class run reads (grader/classrun.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finished:
    """The run ended by itself, with pytest's exit status."""

    code: int

    @property
    def graded(self) -> bool:
        """Tests ran and the results were written: pytest's 0 (all passed) or 1 (some failed)."""
        return self.code in (0, 1)


@dataclass(frozen=True)
class TimedOut:
    """The run outlived its budget: its process group was killed."""


@dataclass(frozen=True)
class Stopped:
    """The class run was stopped (Ctrl-C) before this run started, or while it ran."""


PytestOutcome = Finished | TimedOut | Stopped
