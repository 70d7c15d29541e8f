"""docs/scenarios.md lists every scenario key and every step with its keys, as the schema has them."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "scenarios.md"
SCHEMA = json.loads((REPO / "grader" / "assignment" / "schema" / "scenarios.schema.json").read_text())


def table(heading: str) -> list[list[str]]:
    """The rows (cells) of the first table under `## heading`, header and rule left out."""
    section = PAGE.read_text(encoding="utf-8").split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows[2:]]


def names(cell: str) -> list[str]:
    return re.findall(r"`([a-z_]+)`", cell)


def test_every_scenario_key_is_listed_once_with_whether_it_is_required() -> None:
    scenario = SCHEMA["$defs"]["scenario"]
    rows = table("A scenario's keys")
    listed = [names(key)[0] for key, _, _ in rows]
    assert sorted(listed) == sorted(scenario["properties"])
    assert {names(key)[0] for key, required, _ in rows if required == "yes"} == set(scenario["required"])


def test_every_step_is_listed_once_with_every_key_its_short_form_and_its_required_keys() -> None:
    step = SCHEMA["$defs"]["step"]
    rows = table("The steps")
    verbs = [names(verb)[0] for verb, *_ in rows]
    assert sorted(verbs) == sorted(step["propertyNames"]["enum"]) == sorted(step["properties"])
    for verb, short, keys, _ in rows:
        spec = step["properties"][names(verb)[0]]
        current = [k for k, v in spec["properties"].items() if not v.get("deprecated")]  # not the older spellings
        assert sorted(names(keys)) == sorted(current), verb
        either = [one["anyOf"][0]["required"][0] for one in spec.get("allOf", ())]  # required, in either spelling
        assert sorted(re.findall(r"\*\*`([a-z_]+)`\*\*", keys)) == sorted(spec["required"] + either), verb
        shortened = "string" in spec["type"]
        assert bool(short) == shortened, f"{verb}: the short form is {'missing' if shortened else 'not allowed'}"
        assert not short or short.startswith(f"`{names(verb)[0]}: "), verb


def test_the_standard_tags_are_the_schemas() -> None:
    (_, _, what) = next(row for row in table("A scenario's keys") if row[0] == "`tags`")
    assert names(what.split(", and the lab's own")[0]) == SCHEMA["$defs"]["tag"]["enum"]
