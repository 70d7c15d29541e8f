"""Assignments: the model, and loading it from assignment.yaml + scenarios/*.yaml.

The loader (JSON Schema, YAML, the step vocabulary) is imported when first used: a pytest run
started by `grade` gets the assignment `grade` has loaded and checked, and never needs it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import Assignment, Limits, ProgramSpec, Scenario

if TYPE_CHECKING:
    from .load import find_assignment, list_labs, load_assignment

__all__ = ["Assignment", "Limits", "ProgramSpec", "Scenario", "find_assignment", "list_labs", "load_assignment"]
LOADER = ("find_assignment", "list_labs", "load_assignment")


def __getattr__(name: str) -> Any:
    if name in LOADER:
        from . import load

        return getattr(load, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
