"""The one result model every reporter reads: a class of submissions, each with its tests.

`ClassResult.to_json()` is the class's results.json and holds everything the reporters read, so
that `ClassResult.from_json()` gives back an equal value: `grade merge` rebuilds a class from
the results.json of its shards and writes the same reports a single run would have written.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

GRADER_FAILED = ("The grader itself failed on this test (not a problem in your work): your instructor has been "
                 "told and has the details.")


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class, whatever its name

    name: str
    tags: tuple[str, ...]
    score: float
    max_score: float
    status: str  # "passed" | "failed" | "not_run" (a requirement failed, or a program could not start)
    output: str = ""
    visibility: str = "visible"
    error: bool = False  # the harness failed, not the student: an instructor must look
    duration: float = 0.0
    # the hand-in files the test ran -> "" when the program started, else why it did not (findings.py)
    started: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def student_output(self) -> str:
        """What the student is shown: the feedback; for a grader fault, a plain sentence (the
        details, which may hold the grader's paths or a check's source, are the instructor's)."""
        return GRADER_FAILED if self.error else self.output

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TestResult:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known and k not in ("tags", "started")},
                   tags=tuple(d.get("tags", ())), started=dict(d.get("started") or {}))

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "tags": list(self.tags)}


@dataclass(frozen=True)
class SubmissionResult:
    name: str
    tests: tuple[TestResult, ...] = ()
    error: str | None = None  # the submission could not be graded at all (message for the instructor)
    # what the student must read first, once: a missing or misplaced file, a program that does not start
    findings: tuple[str, ...] = ()

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 4)

    @property
    def failed_tags(self) -> list[str]:
        """The tags of the tests failed (a test not run failed nowhere: its cause is elsewhere)."""
        return sorted({tag for t in self.tests if t.status == "failed" for tag in t.tags})

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "score": self.score, "max_score": self.max_score,
                **({"error": self.error} if self.error else {}),
                **({"findings": list(self.findings)} if self.findings else {}),
                "tests": [t.to_json() for t in self.tests]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SubmissionResult:
        return cls(str(d["name"]), tuple(TestResult.from_json(t) for t in d.get("tests", ())), d.get("error") or None,
                   tuple(str(f) for f in d.get("findings") or ()))


@dataclass(frozen=True)
class ClassResult:
    assignment: str
    submissions: tuple[SubmissionResult, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"assignment": self.assignment, "submissions": [s.to_json() for s in self.submissions]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ClassResult:
        """The inverse of to_json (KeyError, TypeError or ValueError on a document that is not one)."""
        if not isinstance(d, dict) or not isinstance(d.get("submissions"), list):
            raise ValueError("not a labgrade results.json: expected {\"assignment\": ..., \"submissions\": [...]}")
        return cls(str(d["assignment"]), tuple(SubmissionResult.from_json(s) for s in d["submissions"]))
