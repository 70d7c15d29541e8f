"""Harness faults, each naming where the fix is. A student's failure is never one of these."""

from __future__ import annotations

from pathlib import Path


class GraderError(Exception):
    """Something the instructor or the machine must fix; the message says what and where."""


class AssignmentError(GraderError):
    """A problem in an assignment's files, as `file:line: message` (then any further problems)."""

    def __init__(self, path: Path | str, line: int | None, message: str, more: tuple[str, ...] = ()) -> None:
        self.path, self.line, self.message = Path(path), line, message
        super().__init__("\n".join([f"{path}:{line}: {message}" if line else f"{path}: {message}", *more]))


class UsageError(GraderError):
    """Bad command-line arguments."""


class SandboxUnavailable(UsageError):
    """No sandbox backend can run on this machine: its set-up, never a submission's fault."""


class SandboxError(GraderError):
    """The sandbox could not be created or did not answer (machine set-up, not the student)."""


class DriverError(GraderError):
    """The in-sandbox driver failed or returned an outcome that is not valid."""
