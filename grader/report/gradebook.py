"""grades.csv: one row per submission, ready for a gradebook import (Moodle, Canvas, a spreadsheet).

Columns, in this order:

    submission         the submission's folder name (GitHub Classroom: `<assignment>-<login>`)
    score              points scored, all tests (hidden ones included), or the grade an instructor set
    max_score          points available
    percent            100 * score / max_score, rounded to 0.1 (0 when max_score is 0)
    <scenario name>    one column per scenario: the points that submission scored on it; the
                       scenarios appear in the order of the first submission, then any scenario
                       only later submissions have, in their order; empty if a submission lacks it
    tag:<tag>          one column per tag: the points scored on the scenarios carrying that tag (a
                       scenario with two tags counts under both), tags in order of first appearance
    overrides          the instructor's overrides (grade --overrides), joined with " | ": "whole grade:
                       30 instead of 27 (reason)", "<scenario>: 2 instead of 0 (reason)"; an overridden
                       scenario's column holds the points set, the whole grade's `score` the grade set
                       (the scenario columns then keep the points scored); empty when there is none
    findings           what the student must read first (a missing file, a program that does not
                       start), joined with " | " on one line; empty when there is none

Numbers are plain decimals ("29", "2.5", "87.9"), never exponents. The file is UTF-8 without
a byte-order mark, comma-separated, quoted only where needed (RFC 4180 as Python's csv writes it).
A scenario named like a fixed column ("score", "overrides", "findings") or starting with "tag:" is
written "scenario:score", so that no two columns share a name. A submission name, findings or
overrides cell that a spreadsheet would read as a formula (starting with = + - @ or a control
character) is written with a leading apostrophe, the usual guard against formula injection.
Findings hold file names the student chose: each is put on one line, and control characters left
in it become visible escapes (`\x1b`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from ..i18n import localized
from ..results import ClassResult, SubmissionResult
from ..text import visible

FIXED_COLUMNS = ("submission", "score", "max_score", "percent")
OVERRIDES_COLUMN = "overrides"  # before the last
FINDINGS_COLUMN = "findings"  # the last column
TAG_PREFIX = "tag:"
FINDINGS_SEPARATOR = " | "
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def number(x: float) -> str:
    """A score as a gradebook reads it: "29", "2.5", "0.3333"; never "1e+06" nor "-0"."""
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def points(x: float) -> str:
    """`number(x)` as people read it, in the current language's decimals ("2,5" in French): not for grades.csv."""
    return localized(number(x))


def percent(score: float, max_score: float) -> float:
    return round(100.0 * score / max_score, 1) if max_score else 0.0


def one_line(text: str) -> str:
    """`text` on one line: line breaks become spaces, other control characters visible escapes."""
    return visible(" ".join(part.strip() for part in text.splitlines() if part.strip()))


def findings_text(findings: Iterable[str]) -> str:
    """A submission's findings in one cell or attribute: each on one line, joined with " | "."""
    return FINDINGS_SEPARATOR.join(one_line(f) for f in findings)


def scenario_order(result: ClassResult) -> list[str]:
    """Scenario names in the first submission's order, then the ones only later submissions have."""
    names: dict[str, None] = {}
    for sub in result.submissions:
        names.update((t.name, None) for t in sub.tests)
    return list(names)


def tag_order(result: ClassResult) -> list[str]:
    tags: dict[str, None] = {}
    for sub in result.submissions:
        tags.update((tag, None) for t in sub.tests for tag in t.tags)
    return list(tags)


def tag_points(sub: SubmissionResult, tag: str) -> float:
    return round(sum(t.score for t in sub.tests if tag in t.tags), 4)


def scenario_columns(scenarios: list[str]) -> dict[str, str]:
    """Scenario name -> its column name, unique among all columns."""
    taken = {*FIXED_COLUMNS, OVERRIDES_COLUMN, FINDINGS_COLUMN}
    columns = {}
    for name in scenarios:
        base = f"scenario:{name}" if name in taken or name.startswith(TAG_PREFIX) else name
        column, n = base, 2
        while column in taken:
            column, n = f"{base} ({n})", n + 1
        taken.add(column)
        columns[name] = column
    return columns


def guard_formula(text: str) -> str:
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def rows(result: ClassResult) -> tuple[list[str], list[dict[str, str]]]:
    """(header, one dict per submission): the table grades.csv holds."""
    columns = scenario_columns(scenario_order(result))
    tags = tag_order(result)
    header = [*FIXED_COLUMNS, *columns.values(), *(TAG_PREFIX + tag for tag in tags), OVERRIDES_COLUMN,
              FINDINGS_COLUMN]
    table = []
    for sub in result.submissions:
        row = {"submission": guard_formula(sub.name), "score": number(sub.score),
               "max_score": number(sub.max_score), "percent": number(percent(sub.score, sub.max_score))}
        row |= dict.fromkeys(columns.values(), "")
        row |= {columns[t.name]: number(t.score) for t in sub.tests}
        row |= {TAG_PREFIX + tag: number(tag_points(sub, tag)) for tag in tags}
        row[OVERRIDES_COLUMN] = guard_formula(findings_text(sub.override_lines()))
        row[FINDINGS_COLUMN] = guard_formula(findings_text(sub.findings))
        table.append(row)
    return header, table


def write_grades_csv(result: ClassResult, out: Path) -> list[Path]:
    path = out / "grades.csv"
    header, table = rows(result)
    with path.open("w", newline="", encoding="utf-8", errors="backslashreplace") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(table)
    return [path]
