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
    provided: bool = False  # the course's program (its script is not a hand-in file): run from the reference

    @property
    def script(self) -> str:
        return self.argv[0]


@dataclass(frozen=True)
class Limits:
    """Per-sandbox limits; every student process gets the rlimits, the sandbox the pids cap."""

    # a backstop for runaway programs, not a verdict on speed: a correct server that echoes byte by
    # byte spends about 2 us of CPU a byte, 8 s to fill a loopback send queue (4 MiB) in a flood
    cpu_seconds: float = 30
    memory_mb: int = 512  # real memory of the whole sandbox (memory cgroup); RLIMIT_AS is 8x this per process
    file_size_mb: int = 16
    open_files: int = 256
    processes: int = 128  # pids cgroup (or RLIMIT_NPROC inside a user namespace)
    scratch_mb: int = 16  # the writable tmpfs at /tmp
    received_mb: int = 64  # what the scripted clients of a scenario keep of what they receive (the rest is counted)
    socket_mb: int = 64  # kernel memory of the sandbox's socket buffers (cgroup v1 kmem.tcp, docker KernelMemoryTCP)


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
    requires: tuple[str, ...] = ()  # scenarios that must pass first; else this one is not run


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    root: Path
    reference: Path
    programs: dict[str, ProgramSpec] = field(hash=False)
    scenarios: tuple[Scenario, ...]
    limits: Limits = Limits()
    handin: tuple[str, ...] = ()  # the files students hand in (assignment.yaml `handin:`)
    tags: tuple[str, ...] = TAGS  # the tags its scenarios and mutants may use: TAGS, then its own (`tags:`)
    # `language:` (en, fr), or None: the locale's; once a command chose, the language it speaks (grader/i18n.py)
    language: str | None = None

    @property
    def max_score(self) -> float:
        return sum(s.points for s in self.scenarios)

    def student_scripts(self, scenario: Scenario) -> tuple[str, ...]:
        """The hand-in files a scenario runs: the scripts it starts from the student's side."""
        scripts = []
        for step in scenario.steps:
            ((verb, args),) = step.items()
            if verb != "start":
                continue
            args = args if isinstance(args, dict) else {"program": args}
            spec = self.programs.get(args["program"])
            if spec and not spec.provided and args.get("from", "student") == "student" and spec.script not in scripts:
                scripts.append(spec.script)
        return tuple(scripts)
