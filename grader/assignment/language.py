"""What is derived from the table of steps (grader/driver/stepspec.py) and the list of tags
(model.TAGS), written where it is read: the step part of schema/scenarios.schema.json, the tags
of it and of schema/mutant.schema.json, the step tables of README.md and docs/scenarios.md.

    python -m grader.assignment.language           # rewrite those files from the table
    python -m grader.assignment.language --check   # exit status 1 when one of them differs

tests/unit/test_stepspec.py fails when a committed file differs from what the table gives. The
rest of the schema (a scenario's keys, the languages) and the text around the tables are written
by hand.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ..driver.stepspec import BACKLOG, STEPS, StepSpec
from .model import TAGS

REPO = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).resolve().parent / "schema" / "scenarios.schema.json"
MUTANT_SCHEMA = SCHEMA.with_name("mutant.schema.json")
BEGIN, END = "<!-- steps: generated from grader/driver/stepspec.py by `python -m grader.assignment.language` -->", \
    "<!-- end of the generated steps -->"
OLDER = "<!-- older spellings: generated from grader/driver/stepspec.py by `python -m grader.assignment.language` -->"


def verb_schema(spec: StepSpec) -> dict[str, Any]:
    """The JSON Schema of one step's value: its keys (none other; an older spelling as a deprecated
    key), the required ones (in either spelling: the loader refuses both), the short form."""
    out: dict[str, Any] = {"type": ["string", "object"] if spec.short else "object"}
    if spec.short and spec.key:
        out["pattern"] = spec.keys[spec.key].schema["pattern"]
    if spec.description:
        out["description"] = spec.description
    out["additionalProperties"] = False
    out["required"] = [a.name for a in spec.args if a.required and not a.aliases]
    either = [{"anyOf": [{"required": [name]} for name in (a.name, *a.aliases)]}
              for a in spec.args if a.required and a.aliases]
    if either:
        out["allOf"] = either
    out["properties"] = {a.name: dict(a.schema) for a in spec.args}
    out["properties"].update({old: {**a.schema, "deprecated": True, "description": f"older spelling of `{a.name}`"}
                              for a in spec.args for old in a.aliases})
    return out


def step_schema() -> dict[str, Any]:
    """`$defs/step`: a mapping with exactly one key, a step's name."""
    return {"type": "object", "minProperties": 1, "maxProperties": 1, "propertyNames": {"enum": list(STEPS)},
            "properties": {s.name: verb_schema(s) for s in STEPS.values()}}


def schema_text(committed: str) -> str:
    """The scenario files' schema: the committed one with its `$defs/step` made from the table."""
    whole = json.loads(committed)
    whole["$defs"]["step"] = step_schema()
    return with_tags(json.dumps(whole, indent=1, ensure_ascii=False) + "\n")


def with_tags(committed: str) -> str:
    """A schema whose `$defs/tag` lists the standard tags (model.TAGS; the loader adds a lab's own),
    its layout kept."""
    whole = json.loads(committed)
    whole["$defs"]["tag"]["enum"] = list(TAGS)
    indent = 1 if committed.startswith("{\n \"") else 2
    return json.dumps(whole, indent=indent, ensure_ascii=False) + "\n"


def _keys(spec: StepSpec) -> str:
    """Its keys, the required ones first and in bold, `within` last."""
    order = sorted(spec.args, key=lambda a: (not a.required, a.name == "within"))
    return ", ".join(f"**`{a.name}`**" if a.required else f"`{a.name}`" for a in order)


def _short(spec: StepSpec) -> str:
    return f"`{spec.name}: {'PROGRAM' if spec.key == 'program' else 'NAME'}`" if spec.short else ""


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells).replace("|  |", "| |") + " |"


def docs_table() -> str:
    """docs/scenarios.md's table of the steps: each with its short form, its keys, what it does."""
    rows = ["| step | short form | keys | does |", "|---|---|---|---|"]
    return "\n".join(rows + [_row(f"`{s.name}`", _short(s), _keys(s), s.does) for s in STEPS.values()])


def readme_table() -> str:
    """README.md's table of the steps: each with its short form and its keys."""
    rows = ["| step | short form | keys |", "|---|---|---|"]
    return "\n".join(rows + [_row(f"`{s.name}`", _short(s), _keys(s)) for s in STEPS.values()])


def older_table() -> str:
    """docs/scenarios.md's table of the older spellings still accepted: each with the one to write."""
    rows = ["| step | older spelling | write instead |", "|---|---|---|"]
    rows += [_row(f"`{s.name}`", f"`{old}:`", f"`{key}:`") for s in STEPS.values() for old, key in s.aliases.items()]
    implicit = BACKLOG.format(name="NAME")
    return "\n".join([*rows, _row("`start`", f"no `save:`: a server's listen backlog saved as `{implicit}`",
                                   f"`save: {implicit}`")])


def with_table(text: str, table: str, begin: str = BEGIN, end: str = END) -> str:
    """`text` with what lies between the markers replaced by `table`."""
    head, rest = text.split(begin + "\n", 1)
    _old, tail = rest.split(end, 1)
    return f"{head}{begin}\n{table}\n{end}{tail}"


def generated() -> dict[Path, str]:
    """Each file made from the table -> what it must hold."""
    readme, docs = REPO / "README.md", REPO / "docs" / "scenarios.md"
    return {SCHEMA: schema_text(SCHEMA.read_text(encoding="utf-8")),
            MUTANT_SCHEMA: with_tags(MUTANT_SCHEMA.read_text(encoding="utf-8")),
            readme: with_table(readme.read_text(encoding="utf-8"), readme_table()),
            docs: with_table(with_table(docs.read_text(encoding="utf-8"), docs_table()), older_table(),
                             OLDER, END)}


def main(argv: list[str]) -> int:
    stale = [path for path, text in generated().items() if path.read_text(encoding="utf-8") != text]
    if "--check" in argv:
        for path in stale:
            print(f"{path}: differs from grader/driver/stepspec.py: run python -m grader.assignment.language",
                  file=sys.stderr)
        return 1 if stale else 0
    for path, text in generated().items():
        path.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
