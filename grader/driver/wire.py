"""What crosses the sandbox boundary, as values: the plan the host sends the driver, the outcome
it sends back (each program's end, the verdict, the transcript). Standard library only.

Theory of operation. Each type is a frozen dataclass with a `to_json()` / `from_json()` pair, as
pytest's reports.py does for xdist: `to_json()` gives plain JSON with a "type" tag; `from_json()`
checks the tag, refuses a field it does not know (a driver and a host out of step say so at
once, instead of dropping what the other meant), requires the fields without a default, and
checks each value's type from the dataclass's annotations. One generic codec reads those
annotations, so a field is declared once. The backends (grader/sandbox/) place the plan in
their sandbox by adjusting its JSON form (directories, interpreter, uid, cgroups): the fields
they set are declared here too, with the default that means "not set".

The top-level value's tag is required; a nested value may omit its own (its field says its
type), as plans written by hand in tests do. A transcript's events travel as 4-lists [time,
actor, what, detail] (a flood's transcript has hundreds): `Event.from_fields` reads one back.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from .i18n import _

W = TypeVar("W", bound="Wire")


class WireError(ValueError):
    """A JSON value that is not the wire type it claims to be: a harness fault, never the student's.
    Its message is for the instructor, who reads it as the test's grader error: in the run's
    language (a driver decodes its plan before it knows the plan's language: that one is English)."""


class Wire:
    """A value that crosses the boundary: tagged JSON out, checked JSON in."""

    TAG: ClassVar[str]

    def to_json(self) -> dict[str, Any]:
        return {"type": self.TAG, **{f.name: encode(getattr(self, f.name)) for f in dataclasses.fields(self)}}  # type: ignore[arg-type]

    @classmethod
    def from_json(cls: type[W], value: object) -> W:
        """The value of this type that `value` is; its tag is required (a nested value's field says its type)."""
        if not isinstance(value, dict) or value.get("type") != cls.TAG:
            got = value.get("type") if isinstance(value, dict) else type(value).__name__
            raise WireError(_("expected a {tag!r} value, got {got!r}").format(tag=cls.TAG, got=got))
        return cls.from_fields(value)

    @classmethod
    def from_fields(cls: type[W], value: object) -> W:
        """As from_json, the tag optional: a nested value, whose field declares its type."""
        if not isinstance(value, dict) or value.get("type", cls.TAG) != cls.TAG:
            got = value.get("type") if isinstance(value, dict) else type(value).__name__
            raise WireError(_("expected a {tag!r} value, got {got!r}").format(tag=cls.TAG, got=got))
        hints = hints_of(cls)
        unknown = sorted(set(value) - set(hints) - {"type"})
        if unknown:
            raise WireError(_("{tag}: unknown fields {fields} (known: {known})").format(
                tag=cls.TAG, fields=", ".join(unknown), known=", ".join(sorted(hints))))
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in value  # type: ignore[arg-type]
                   and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
        if missing:
            raise WireError(_("{tag}: missing fields {fields}").format(tag=cls.TAG, fields=", ".join(missing)))
        return cls(**{k: decode(hints[k], v, f"{cls.TAG}.{k}") for k, v in value.items() if k != "type"})


HINTS: dict[type, dict[str, Any]] = {}  # a wire type -> its fields' annotations, evaluated once


def hints_of(cls: type) -> dict[str, Any]:
    if cls not in HINTS:
        fields = {f.name for f in dataclasses.fields(cls)}  # the class variables (TAG) are not fields
        HINTS[cls] = {k: v for k, v in typing.get_type_hints(cls).items() if k in fields}
    return HINTS[cls]


def warm() -> None:
    """Every wire type's annotations evaluated now (by the driver server, before it forks the drivers)."""
    todo = [Wire]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if "TAG" in vars(cls):
            hints_of(cls)


def encode(value: object) -> object:
    if isinstance(value, Wire):
        return value.to_json()
    if isinstance(value, tuple | list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def decode(hint: Any, value: object, where: str) -> Any:
    """`value` checked against the annotation `hint` (and made a tuple where one is declared)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        for option in args:
            try:
                return decode(option, value, where)
            except WireError:
                continue
        raise WireError(_("{where}: {value!r:.80} is none of {types}").format(where=where, value=value, types=hint))
    if isinstance(hint, type) and issubclass(hint, Wire):
        return hint.from_fields(value)
    if origin is tuple and isinstance(value, list):
        return tuple(decode(args[0], v, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict and isinstance(value, dict):
        return {str(k): decode(args[1], v, f"{where}.{k}") for k, v in value.items()}
    if hint is type(None) and value is None:
        return None
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint in (str, int, bool) and type(value) is hint:
        return value
    raise WireError(_("{where}: expected {type}, got {value!r:.80}").format(
        where=where, type=getattr(hint, "__name__", hint), value=value))


# -- the plan: host -> driver -----------------------------------------------------------------

@dataclass(frozen=True)
class ProgramSpec(Wire):
    """A program of the lab: its command line ("{port}" and such expanded by the driver)."""

    TAG: ClassVar[str] = "program"
    argv: tuple[str, ...]
    kind: str
    provided: bool = False  # the course provides it (the student hands in the others)


@dataclass(frozen=True)
class Side(Wire):
    """Where one side's programs are: the student's (staged hand-in) or the reference's."""

    TAG: ClassVar[str] = "side"
    dir: str
    python: str | None = None  # set by the backend: the interpreter inside the sandbox
    files: dict[str, str] = field(default_factory=dict)  # a declared file -> where the hand-in has it
    uid: int | None = None  # set by the backend: who the student's programs run as
    gid: int | None = None
    tmp: str | None = None  # the process backend: the student's own HOME and TMPDIR


@dataclass(frozen=True)
class Plan(Wire):
    """One scenario for the driver (grader/run.py `plan_for` makes it; grader/driver/__main__.py runs it)."""

    TAG: ClassVar[str] = "plan"
    steps: tuple[dict[str, Any], ...]  # the scenario language's steps, as the loader checked them
    timeout: float
    port: int
    programs: dict[str, ProgramSpec]
    student: Side
    reference: Side
    scenario: str = ""
    host: str = "127.0.0.1"
    seed: int = 0
    # rlimits and cgroup limits by name (cpu_seconds, memory_mb...), which the backends adjust and
    # grader/driver/jail.py applies: open-ended on purpose, each backend knows other ones
    limits: dict[str, Any] = field(default_factory=dict)
    scratch_mb: int = 16  # the jail's writable /tmp (assignment limits' default)
    received_mb: int = 64  # what the grader's clients keep of what they receive (loop.RX_BUDGET)
    early: bool = True  # fail a wait once nothing more can happen (docs/kernel.md, "Quiescent")
    lang: str | None = None  # the language of the driver's messages and transcript
    interactive: bool = False  # steps come one per line (a check written in Python), not in `steps`
    jail: dict[str, str] | None = None  # set by the backend: {"root": where the jail is built}
    cgroups: tuple[str, ...] = ()  # set by the backend: the cgroup.procs files a student's program joins
    isolation: str | None = None  # "process": no namespace of its own (grader/sandbox/process.py)
    alarm: int | None = None  # docker: seconds the driver gives itself from its plan on


# -- the outcome: driver -> host --------------------------------------------------------------

@dataclass(frozen=True)
class Event(Wire):
    """One line of the transcript: who did what, when (seconds since the scenario started)."""

    TAG: ClassVar[str] = "event"
    time: float
    actor: str
    what: str
    detail: str = ""

    def to_json(self) -> list[Any]:  # type: ignore[override]  # compact: a transcript holds hundreds
        return [self.time, self.actor, self.what, self.detail]

    @classmethod
    def from_fields(cls, value: object) -> Event:
        if not (isinstance(value, list) and len(value) == 4 and isinstance(value[0], int | float)
                and all(isinstance(v, str) for v in value[1:])):
            raise WireError(_("event: expected [time, actor, what, detail], got {value!r:.80}").format(value=value))
        return cls(float(value[0]), value[1], value[2], value[3])


@dataclass(frozen=True)
class Transcript(Wire):
    TAG: ClassVar[str] = "transcript"
    events: tuple[Event, ...] = ()
    dropped: int = 0  # events not recorded (the middle of a flood: driver/transcript.py MAX_EVENTS)


@dataclass(frozen=True)
class Verdict(Wire):
    """Why a scenario failed: the step at fault, the reason, what was expected and what was observed."""

    TAG: ClassVar[str] = "verdict"
    step: int  # its index in the plan's steps; len(steps): after the last step (something more happened)
    step_text: str  # the step as a person would say it (steps.describe)
    reason: str
    expected: str = ""
    observed: str = ""


@dataclass(frozen=True)
class ProgramOutcome(Wire):
    """How one program of the scenario ended, and the tail of what it wrote on stderr."""

    TAG: ClassVar[str] = "program-outcome"
    student: bool
    origin: str  # "student", "reference" or "course"
    script: str
    exit: str  # in words: "exited with code 1", "killed by the grader"
    returncode: int | None
    stderr: str
    stdout_bytes: int
    stderr_bytes: int
    limited: bool  # a limit of the sandbox ended it
    start_failure: str | None = None  # a student's program that died at once: why (a traceback's summary)


STATUSES = ("passed", "failed", "error")


@dataclass(frozen=True)
class Outcome(Wire):
    """The scenario's outcome. `status`: "passed"; "failed" (the student's program is at fault:
    `verdict` says why); "error" (the harness is at fault, `error` says how: never to be scored)."""

    TAG: ClassVar[str] = "outcome"
    status: str
    transcript: Transcript = Transcript()
    programs: dict[str, ProgramOutcome] = field(default_factory=dict)
    saved: dict[str, int] = field(default_factory=dict)  # the measures steps saved (`save:`)
    duration: float = 0.0
    verdict: Verdict | None = None
    error: str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise WireError(_("outcome: status {status!r} is none of {statuses}").format(
                status=self.status, statuses=", ".join(STATUSES)))


# -- a check written in Python: the driver's replies, one a line (__main__.py `interact`) --------

@dataclass(frozen=True)
class Ready(Wire):
    """The interactive driver is set up: it reads the check's steps, one JSON object a line."""

    TAG: ClassVar[str] = "ready"


@dataclass(frozen=True)
class Reply(Wire):
    """The driver's answer to one step a check sent (grader/plugin/checks.py reads it). `ok`: the
    step passed; else either `verdict` (the student's program is at fault) or `grader_error` (the
    check asked for something the driver cannot do, or the driver failed), never both."""

    TAG: ClassVar[str] = "reply"
    ok: bool
    saved: dict[str, int] = field(default_factory=dict)  # the values saved so far (`save:`, a server's backlog)
    received: dict[str, str] = field(default_factory=dict)  # what each client received since the previous reply
    verdict: Verdict | None = None
    grader_error: str | None = None

    def __post_init__(self) -> None:
        faults = (self.verdict is not None) + (self.grader_error is not None)
        if faults != (0 if self.ok else 1):
            raise WireError(_("reply: ok is {ok}, with {faults} of verdict and grader_error (expected {expected})")
                            .format(ok=self.ok, faults=faults, expected=0 if self.ok else 1))

    def __getitem__(self, key: str) -> Any:
        """`reply["saved"]`: a field read as when replies were dicts (checks written before they were values)."""
        if key not in {f.name for f in dataclasses.fields(self)}:
            raise KeyError(key)
        return getattr(self, key)
