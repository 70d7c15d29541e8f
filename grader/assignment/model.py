"""The assignment model: plain frozen values, built by load.py, read by everything else.

A lab's texts for people (its title, each scenario's name and feedback) are written in one
language (plain text) or several (`{fr: "...", en: "..."}`, a Text). The model keeps them as
written (`written`) and gives everything else plain strings (`title`, `name`, `feedback`) in one
language: the loader's default, until `Assignment.in_language` picks the one a command speaks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..driver.i18n import _
from ..errors import AssignmentError

TAGS = ("protocol", "concurrency", "queue", "select", "robustness", "cleanup", "cpu", "errors")
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")  # Gradescope's vocabulary

Text = str | Mapping[str, str]  # a text for people as written: one language, or {language: text}


def pick(text: Text, lang: str) -> str:
    """`text` in `lang`: a plain text is the lab's one language; KeyError when a mapping lacks `lang`."""
    return text if isinstance(text, str) else text[lang]


def versions(text: Text) -> tuple[str, ...]:
    """`text` in each of its languages."""
    return (text,) if isinstance(text, str) else tuple(text.values())


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
    written: Mapping[str, Text] = field(default_factory=dict, hash=False)  # name, feedback as written

    @property
    def names(self) -> tuple[str, ...]:
        """Every name it answers to (`requires:`, overrides): its name in each of its languages."""
        return tuple(dict.fromkeys([self.name, *versions(self.written.get("name", self.name))]))


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
    written: Mapping[str, Text] = field(default_factory=dict, hash=False)  # title, as written
    languages: tuple[str, ...] = ()  # those of its texts written in several languages (all give the same)
    languages_at: tuple[Path, int] = (Path(), 0)  # the first such text, for the message when a language lacks
    # `shared:`, reference files another lab keeps: a file's name -> its path (grader/assignment/shared.py)
    shared: Mapping[str, Path] = field(default_factory=dict, hash=False)

    def reference_file(self, name: str) -> Path:
        """Where the reference keeps file `name`: its own folder, or the lab that shares it."""
        return self.shared.get(name, self.reference / name)

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

    def in_language(self, lang: str) -> Assignment:
        """The assignment whose texts are in `lang` (requires: too); an AssignmentError when its texts
        written in several languages lack `lang`: the lab's set-up, never a student's failure."""
        if self.languages and lang not in self.languages:
            path, line = self.languages_at
            raise AssignmentError(path, line, _("this lab's texts are written in {languages}, not in {lang}: grade "
                                                "with --lang {first} or add the {lang} text to each of them").format(
                languages=", ".join(self.languages), lang=lang, first=self.languages[0]))
        names = {alias: pick(s.written.get("name", s.name), lang) for s in self.scenarios for alias in s.names}
        scenarios = tuple(replace(s, name=names[s.name], feedback=pick(s.written.get("feedback", s.feedback),
                                                                       lang).strip(),
                                  requires=tuple(names.get(r, r) for r in s.requires)) for s in self.scenarios)
        return replace(self, title=pick(self.written.get("title", self.title), lang), scenarios=scenarios)

    def scenario_named(self, name: str) -> Scenario | None:
        """The scenario called `name` in any of its languages."""
        return next((s for s in self.scenarios if name in s.names), None)
