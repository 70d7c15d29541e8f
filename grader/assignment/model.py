"""The assignment model: plain frozen values, built by load.py, read by everything else."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TAGS = ("protocol", "concurrency", "queue", "select", "robustness", "cleanup", "cpu", "errors")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's vocabulary


@dataclass(frozen=True)
class ProgramSpec:
    name: str
    argv: tuple[str, ...]  # argv[0] is the script, run with the sandbox's python3
    kind: str  # "server" (started steps wait until it listens) | "client"

    @property
    def script(self) -> str:
        return self.argv[0]


@dataclass(frozen=True)
class Limits:
    """Per-sandbox limits; every student process gets the rlimits, the sandbox the pids cap."""

    cpu_seconds: float = 10
    memory_mb: int = 512  # real memory of the whole sandbox (memory cgroup); RLIMIT_AS is 8x this per process
    file_size_mb: int = 16
    open_files: int = 256
    processes: int = 128  # pids cgroup (or RLIMIT_NPROC inside a user namespace)
    scratch_mb: int = 16  # the writable tmpfs at /tmp


@dataclass(frozen=True)
class Scenario:
    name: str
    tags: tuple[str, ...]
    points: float
    steps: tuple[dict[str, Any], ...] = field(hash=False)
    feedback: str = ""
    visibility: str = "visible"
    timeout: float = 30.0  # the whole scenario's wall-clock budget, seconds
    path: Path = Path()
    line: int = 0


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    root: Path
    reference: Path
    programs: dict[str, ProgramSpec] = field(hash=False)
    scenarios: tuple[Scenario, ...]
    limits: Limits = Limits()

    @property
    def max_score(self) -> float:
        return sum(s.points for s in self.scenarios)
