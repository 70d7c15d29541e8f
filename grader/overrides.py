"""Grade overrides: an instructor's last word on a test's points or a whole grade (`--overrides FILE`).

Theory of operation. The file is a YAML list:

    - submission: echo-iterative-ada         # its name, as the reports show it (its folder's)
      scenario: server echoes one line       # optional: without it, the whole grade
      points: 2                              # 0 to what the test (or the whole grade) is worth
      reason: The reset test was fixed later # required: the student reads it

It is read with the assignments' YAML loader and a JSON Schema (schema/overrides.schema.json: line
numbers, unknown keys, types), then `check` compares it with what it names: a submission the class
does not have, a scenario the lab does not have (each with "did you mean"), points above what the
target is worth, two entries for one target, and a whole grade set beside one of its tests' points
(which would then count for nothing) are each refused as `file:line: what is wrong, and the fix`.
A scenario's name in any of its languages names it (`names_as_graded`: the entry is renamed as the
results name it, before those checks).
`grade` checks before grading, against the lab's scenarios and the class's folders (the whole
class, even for a shard: a shard's run applies only its own students' overrides); a lab with checks
written in Python learns their names and points only once graded, so those names and the whole
grade's maximum are checked then. `grade merge` checks against the merged class, every submission.

Overrides are applied to the results after grading, after the cache: the cache keeps what the
grader observed, never an override, so every regrade, cached or not, applies the file again.
`apply_overrides` first undoes the overrides the results already carry (a shard's, an older
file's): the file given is the whole truth; `grade merge` without a file keeps the shards' ones.
An overridden test's `score` is the override's points (`override.graded` keeps the grader's), and
its status stays the grader's; a whole-grade override sets the submission's score while its tests
keep theirs. Every report shows each override with its reason (grader/results.py's texts).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from .assignment import Assignment, find_assignment, load_assignment
from .assignment.load import read_checked
from .cache import check_files
from .errors import AssignmentError, UsageError
from .i18n import N_, _
from .results import ClassResult, Override, SubmissionResult
from .text import closest

# what is wrong with an entry, and the fix (each shown as FILE:LINE: message)
UNKNOWN_SUBMISSION = N_('no submission "{name}" in this class{hint}: write its folder\'s name, as the reports show it')
UNKNOWN_SCENARIO = N_('no scenario "{name}" in this lab{hint}: write a test\'s name as the reports show it, or leave '
                      "`scenario:` out to set the whole grade")
DID_YOU_MEAN = N_(' (did you mean "{name}"?)')
TOO_MANY = N_('{points:g} points is more than {target} is worth ({most:g}): give 0 to {most:g}')
NEGATIVE = N_("{points:g} points is below 0: give 0 (no points for it) or more")
TWICE = N_("{target} of \"{submission}\" is set twice (first at line {first}): keep one entry")
WHOLE = N_("the whole grade")
BESIDE_WHOLE = N_('"{submission}" has its whole grade set at line {whole}, so the points of its test "{scenario}" '
                  "would count for nothing: set the whole grade or its tests, not both")


@dataclass(frozen=True)
class OverrideSpec:
    """One entry of the file."""

    submission: str
    scenario: str | None  # None: the whole grade
    points: float
    reason: str
    line: int

    @property
    def target(self) -> str:
        return f'"{self.scenario}"' if self.scenario is not None else _(WHOLE)


@dataclass(frozen=True)
class Overrides:
    path: Path
    entries: tuple[OverrideSpec, ...] = ()


class OverridesError(UsageError):
    """An overrides file that cannot be applied: one `file:line: message` a problem."""

    def __init__(self, path: Path, problems: list[tuple[int, str]]) -> None:
        super().__init__("\n".join(f"{path}:{line}: {message}" for line, message in sorted(problems)))


@dataclass(frozen=True)
class Worth:
    """What one submission's overrides may name: its tests and their points, and its whole grade's."""

    tests: Mapping[str, float]
    total: float
    complete: bool = True  # False: more tests join at grading (checks written in Python): other names wait


def load_overrides(path: Path, aliases: Mapping[str, str] | None = None) -> Overrides:
    """The file's entries, checked on their own (schema, duplicates); OverridesError names the line.
    `aliases` (names_as_graded) renames each scenario as the results name it."""
    try:
        data, lines = read_checked(path, "overrides")
    except AssignmentError as bad:  # the same file:line message, as a usage error: the file is no assignment's
        raise UsageError(str(bad)) from None
    aliases = aliases or {}
    entries = tuple(OverrideSpec(d["submission"], aliases.get(d.get("scenario"), d.get("scenario")),
                                 float(d["points"]), d["reason"].strip(), lines[(i,)]) for i, d in enumerate(data))
    problems = [(lines[(i, "points")], _(NEGATIVE).format(points=e.points)) for i, e in enumerate(entries)
                if e.points < 0]
    seen: dict[tuple[str, str | None], OverrideSpec] = {}
    for e in entries:
        first = seen.setdefault((e.submission, e.scenario), e)
        if first is not e:
            problems.append((e.line, _(TWICE).format(target=e.target, submission=e.submission, first=first.line)))
    for e in entries:
        whole = seen.get((e.submission, None))
        if whole and e.scenario is not None:
            problems.append((e.line, _(BESIDE_WHOLE).format(submission=e.submission, whole=whole.line,
                                                         scenario=e.scenario)))
    if problems:
        raise OverridesError(path, problems)
    return Overrides(path, entries)


def overrides_option(parser: argparse.ArgumentParser) -> None:
    """`--overrides FILE`, for `grade` and `grade merge`."""
    parser.add_argument("--overrides", type=Path, metavar="FILE",
                        help=_("a YAML list of entries with the keys submission, scenario (optional: the whole grade), "
                               "points and reason: the instructor's last word, applied to every report (README: Grade "
                               "overrides)"))


def names_as_graded(assignment: Assignment, graded: Iterable[str]) -> dict[str, str]:
    """A scenario's name in any of its languages -> the one of them the results use (in `graded`)."""
    used = set(graded)
    return {alias: name for s in assignment.scenarios for name in s.names if name in used for alias in s.names}


def lab_names(result: ClassResult) -> dict[str, str]:
    """names_as_graded for merged results, when labgrade finds their lab by its name (the bundled labs,
    a lab in the current folder); else none: the file names tests as the reports show them."""
    try:
        assignment = load_assignment(find_assignment(result.assignment))
    except UsageError:
        return {}
    return names_as_graded(assignment, (t.name for s in result.submissions for t in s.tests))


def class_overrides(path: Path | None, assignment: Assignment, submissions: Iterable[str]) -> Overrides:
    """`grade --overrides FILE`: the file, checked against the lab and the class before grading (none: no file)."""
    if path is None:
        return Overrides(Path())
    overrides = load_overrides(path, names_as_graded(assignment, (s.name for s in assignment.scenarios)))
    check(overrides, lab_targets(assignment, submissions))
    return overrides


def lab_targets(assignment: Assignment, submissions: Iterable[str]) -> dict[str, Worth]:
    """What a class's overrides may name before it is graded: the lab's scenarios, for each submission."""
    worth = Worth({s.name: s.points for s in assignment.scenarios}, assignment.max_score,
                  complete=not check_files(assignment))
    return dict.fromkeys(submissions, worth)


def result_targets(result: ClassResult) -> dict[str, Worth]:
    """What overrides may name in graded results: each submission's tests."""
    return {s.name: Worth({t.name: t.max_score for t in s.tests}, s.max_score) for s in result.submissions}


def _hint(name: str, known: Iterable[str]) -> str:
    close = closest(name, known)
    return _(DID_YOU_MEAN).format(name=close) if close else ""


def check(overrides: Overrides, targets: Mapping[str, Worth], whole_class: bool = True) -> None:
    """OverridesError unless every entry names a target of `targets` and gives it at most what it is
    worth; with whole_class False, entries of submissions `targets` lacks (another shard's) are let be."""
    problems: list[tuple[int, str]] = []
    for e in overrides.entries:
        worth = targets.get(e.submission)
        if worth is None:
            if whole_class:
                problems.append((e.line, _(UNKNOWN_SUBMISSION).format(name=e.submission, hint=_hint(e.submission,
                                                                                                    targets))))
            continue
        if e.scenario is None:
            most: float | None = worth.total if worth.complete else None
        elif e.scenario in worth.tests:
            most = worth.tests[e.scenario]
        else:
            if worth.complete:
                problems.append((e.line, _(UNKNOWN_SCENARIO).format(name=e.scenario, hint=_hint(e.scenario,
                                                                                              worth.tests))))
            continue
        if most is not None and e.points > most:
            problems.append((e.line, _(TOO_MANY).format(points=e.points, target=e.target, most=most)))
    if problems:
        raise OverridesError(overrides.path, problems)


def without_overrides(sub: SubmissionResult) -> SubmissionResult:
    """The submission as the grader scored it."""
    tests = tuple(replace(t, score=t.override.graded, override=None) if t.override else t for t in sub.tests)
    return replace(sub, tests=tests, override=None)


def _apply(sub: SubmissionResult, entries: list[OverrideSpec]) -> SubmissionResult:
    by_test = {e.scenario: e for e in entries if e.scenario is not None}
    tests = tuple(replace(t, score=e.points, override=Override(e.points, t.score, e.reason))
                  if (e := by_test.get(t.name)) else t for t in sub.tests)
    sub = replace(sub, tests=tests)
    whole = next((e for e in entries if e.scenario is None), None)
    return replace(sub, override=Override(whole.points, sub.tests_score, whole.reason)) if whole else sub


def apply_overrides(result: ClassResult, overrides: Overrides) -> ClassResult:
    """The results with the file's overrides, and only those (any they carried are undone first). The
    entries of submissions the results lack are let be (another shard's); OverridesError when an entry
    names a test a submission does not have, or gives more than it is worth."""
    check(overrides, result_targets(result), whole_class=False)
    by_sub: dict[str, list[OverrideSpec]] = {}
    for e in overrides.entries:
        by_sub.setdefault(e.submission, []).append(e)
    return replace(result, submissions=tuple(_apply(without_overrides(s), by_sub.get(s.name, []))
                                             for s in result.submissions))
