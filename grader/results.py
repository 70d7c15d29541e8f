"""The one result model every reporter reads: a class of submissions, each with its tests.

`ClassResult.to_json()` is the class's results.json and holds everything the reporters read, so
that `ClassResult.from_json()` gives back an equal value: `grade merge` rebuilds a class from
the results.json of its shards and writes the same reports a single run would have written.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from .feedback import Feedback
from .i18n import N_, _

GRADER_FAILED = N_("The grader itself failed on this test (not a problem in your work): your instructor has been "
                   "told and has the details.")
# an instructor's override (grader/overrides.py), as the student reads it atop the test's feedback or the grade
TEST_OVERRIDDEN = N_("Your instructor set the points of this test to {points:g} (the grader gave {graded:g}). "
                     "Why: {reason}")
GRADE_OVERRIDDEN = N_("Your instructor set your grade to {points:g} / {max_score:g} (the tests add up to "
                      "{graded:g}). Why: {reason}")
# the same, on one line, for the instructor's reports (grades.csv, junit.xml, the terminal summary)
OVERRIDE_LINE = N_("{target}: {points:g} instead of {graded:g} ({reason})")
WHOLE_GRADE = N_("whole grade")


@dataclass(frozen=True)
class Override:
    """An instructor's last word on a test's points or a whole grade (grader/overrides.py applies them)."""

    points: float  # the final score: the test's `score`, or the submission's
    graded: float  # what the grader gave (for a whole grade: the sum of the tests' scores)
    reason: str  # the instructor's words to the student

    @classmethod
    def from_json(cls, d: dict[str, Any] | None) -> Override | None:
        return cls(float(d["points"]), float(d["graded"]), str(d["reason"])) if d else None

    def line(self, target: str) -> str:
        """OVERRIDE_LINE: `target` (a test's name, or WHOLE_GRADE) and this override, on one line."""
        return _(OVERRIDE_LINE).format(target=target, points=self.points, graded=self.graded,
                                       reason=" ".join(self.reason.split()))


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
    override: Override | None = None  # set by an instructor: `score` is override.points; the status stays the grader's
    # a scenario's feedback in parts (`output` is its text): what the reporters that show parts read
    feedback: Feedback | None = field(default=None, compare=False)

    @property
    def student_output(self) -> str:
        """What the student is shown: the feedback; for a grader fault, a plain sentence (the
        details, which may hold the grader's paths or a check's source, are the instructor's)."""
        return _(GRADER_FAILED) if self.error else self.output

    @property
    def override_note(self) -> str:
        """What the student reads first about this test when an instructor set its points ("" otherwise)."""
        o = self.override
        return _(TEST_OVERRIDDEN).format(points=o.points, graded=o.graded, reason=o.reason) if o else ""

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> TestResult:
        known = {f.name for f in fields(cls)}
        structured = ("tags", "started", "override", "feedback")
        return cls(**{k: v for k, v in d.items() if k in known and k not in structured},
                   tags=tuple(d.get("tags", ())), started=dict(d.get("started") or {}),
                   override=Override.from_json(d.get("override")),
                   feedback=Feedback.from_json(d["feedback"]) if d.get("feedback") else None)

    def to_json(self) -> dict[str, Any]:
        d = {**asdict(replace(self, feedback=None)), "tags": list(self.tags)}
        if self.override is None:
            del d["override"]  # only when there is one, as a submission's error and findings
        if self.feedback is None:
            del d["feedback"]
        else:
            d["feedback"] = self.feedback.to_json()
        return d


@dataclass(frozen=True)
class SubmissionResult:
    name: str
    tests: tuple[TestResult, ...] = ()
    error: str | None = None  # the submission could not be graded at all (message for the instructor)
    # what the student must read first, once: a missing or misplaced file, a program that does not start
    findings: tuple[str, ...] = ()
    override: Override | None = None  # a whole grade set by an instructor: the tests keep their scores

    @property
    def score(self) -> float:
        return self.override.points if self.override else self.tests_score

    @property
    def tests_score(self) -> float:
        """The sum of the tests' scores (their overrides included): the grade unless an instructor set it."""
        return round(sum(t.score for t in self.tests), 4)

    @property
    def max_score(self) -> float:
        return round(sum(t.max_score for t in self.tests), 4)

    @property
    def failed_tags(self) -> list[str]:
        """The tags under which the student loses points: those of the tests failed (a test not run
        failed nowhere: its cause is elsewhere; a grader error is the grader's failure, under none of
        the student's tags), unless an instructor gave the test all its points back."""
        return sorted({tag for t in self.tests if t.status == "failed" and not t.error
                       and not (t.override and t.score >= t.max_score) for tag in t.tags})

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "score": self.score, "max_score": self.max_score,
                **({"error": self.error} if self.error else {}),
                **({"findings": list(self.findings)} if self.findings else {}),
                **({"override": asdict(self.override)} if self.override else {}),
                "tests": [t.to_json() for t in self.tests]}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SubmissionResult:
        return cls(str(d["name"]), tuple(TestResult.from_json(t) for t in d.get("tests", ())), d.get("error") or None,
                   tuple(str(f) for f in d.get("findings") or ()), Override.from_json(d.get("override")))

    @property
    def override_note(self) -> str:
        """What the student reads first about the grade when an instructor set it ("" otherwise)."""
        o = self.override
        return _(GRADE_OVERRIDDEN).format(points=o.points, max_score=self.max_score, graded=o.graded,
                                       reason=o.reason) if o else ""

    @property
    def overrides(self) -> list[tuple[str, Override]]:
        """(what was overridden: WHOLE_GRADE or a test's name, its override), the whole grade first."""
        return ([(_(WHOLE_GRADE), self.override)] if self.override else []) + \
            [(t.name, t.override) for t in self.tests if t.override]

    def override_lines(self) -> list[str]:
        """Each override on one line, for the instructor's reports (OVERRIDE_LINE)."""
        return [o.line(target) for target, o in self.overrides]


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
