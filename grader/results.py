"""The one result model every reporter reads: a class of submissions, each with its tests."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class, whatever its name

    name: str
    tags: tuple[str, ...]
    score: float
    max_score: float
    status: str  # "passed" | "failed"
    output: str = ""
    visibility: str = "visible"
    error: bool = False  # the harness failed, not the student: an instructor must look
    duration: float = 0.0

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TestResult:
        return cls(**{**d, "tags": tuple(d.get("tags", ()))})


@dataclass(frozen=True)
class SubmissionResult:
    name: str
    tests: tuple[TestResult, ...] = ()
    error: str | None = None  # the submission could not be graded at all (message for the instructor)

    @property
    def score(self) -> float:
        return round(sum(t.score for t in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 4)

    @property
    def failed_tags(self) -> list[str]:
        return sorted({tag for t in self.tests if t.status != "passed" for tag in t.tags})


@dataclass(frozen=True)
class ClassResult:
    assignment: str
    submissions: tuple[SubmissionResult, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"assignment": self.assignment, "submissions": [
            {"name": s.name, "score": s.score, "max_score": s.max_score, **({"error": s.error} if s.error else {}),
             "tests": [{k: v for k, v in asdict(t).items() if k in TEST_KEYS} | {"tags": list(t.tags)}
                       for t in s.tests]}
            for s in self.submissions]}


TEST_KEYS = ("name", "tags", "score", "max_score", "status", "output", "visibility")
