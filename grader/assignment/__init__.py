"""Assignments: the model, and loading it from assignment.yaml + scenarios/*.yaml."""

from .load import find_assignment, list_labs, load_assignment
from .model import Assignment, Limits, ProgramSpec, Scenario

__all__ = ["Assignment", "Limits", "ProgramSpec", "Scenario", "find_assignment", "list_labs", "load_assignment"]
