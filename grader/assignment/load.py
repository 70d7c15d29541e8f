"""Load an assignment folder: YAML with line marks -> JSON Schema -> semantic checks -> model.

Every problem becomes an AssignmentError naming the file and line and what was expected;
all the problems of one file are reported together.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ..driver.steps import BOUND_RE, Runner
from ..errors import AssignmentError, UsageError
from .model import Assignment, Limits, ProgramSpec, Scenario

Lines = dict[tuple[Any, ...], int]


def load_yaml(path: Path) -> tuple[Any, Lines]:
    """Parse YAML keeping the line of every node; duplicate keys are errors."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise AssignmentError(path, None, f"cannot read: {e}") from None
    loader = yaml.SafeLoader(text)
    lines: Lines = {}

    def walk(node: yaml.Node, at: tuple[Any, ...]) -> Any:
        lines[at] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                key = loader.construct_object(key_node, deep=True)
                if key in out:
                    raise AssignmentError(path, key_node.start_mark.line + 1, f"duplicate key {key!r}")
                out[key] = walk(value_node, (*at, key))
                lines[(*at, key)] = key_node.start_mark.line + 1  # errors about a key point at the key
            return out
        if isinstance(node, yaml.SequenceNode):
            return [walk(item, (*at, i)) for i, item in enumerate(node.value)]
        return loader.construct_object(node, deep=True)

    try:
        node = loader.get_single_node()
        return (walk(node, ()) if node is not None else None), lines
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise AssignmentError(path, mark.line + 1 if mark else None,
                              f"not valid YAML: {e.problem or e.context}") from None
    except yaml.YAMLError as e:
        raise AssignmentError(path, None, f"not valid YAML: {e}") from None
    finally:
        loader.dispose()


@cache
def schema(name: str) -> dict[str, Any]:
    text = resources.files("grader.assignment").joinpath(f"schema/{name}.schema.json").read_text()
    return dict(json.loads(text))


def _explain(error: jsonschema.ValidationError) -> tuple[tuple[Any, ...], str]:
    """A person's reading of a schema error, and the path of the node to blame."""
    at = tuple(error.absolute_path)
    schema_: Any = error.schema  # jsonschema types these as possibly unset
    value: Any = error.validator_value
    props = schema_.get("properties", {}) if isinstance(schema_, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = sorted((k for k in error.instance if k not in props), key=str)
        return (*at, extra[0]), f"unknown key {extra[0]!r} (expected one of: {', '.join(props)})"
    if "propertyNames" in error.schema_path and isinstance(error.instance, str):
        allowed = value if error.validator == "enum" else None
        what = "step" if allowed and "connect" in allowed else "key"
        hint = f" (expected one of: {', '.join(allowed)})" if allowed else f" ({error.message})"
        return (*at, error.instance), f"unknown {what} {error.instance!r}{hint}"
    if error.validator == "required":
        return at, f"missing required key {error.message.split(' ')[0]}"
    if error.validator in ("minProperties", "maxProperties") and schema_.get("propertyNames"):
        return at, "a step is a mapping with exactly one key, the step's name (e.g. `- connect: alice`)"
    if error.validator == "enum":
        allowed = ", ".join(map(str, value))
        return at, f"{error.instance!r} is not allowed here (expected one of: {allowed})"
    return at, error.message


def _context(data: Any, at: tuple[Any, ...]) -> str:
    """'scenario "echo one line", step 3: ' for a path inside a scenario file."""
    if not (isinstance(data, list) and at and isinstance(at[0], int) and at[0] < len(data)):
        return ""
    scenario = data[at[0]]
    name = scenario.get("name") if isinstance(scenario, dict) else None
    where = f'scenario "{name}"' if isinstance(name, str) else f"scenario #{at[0] + 1}"
    if len(at) >= 3 and at[1] == "steps" and isinstance(at[2], int):
        where += f", step {at[2] + 1}"
    return where + ": "


def validate(path: Path, data: Any, lines: Lines, schema_name: str) -> None:
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        at, message = _explain(error)
        while at not in lines and at:
            at = at[:-1]
        problems.append((lines.get(at, 1), _context(data, at) + message))
    if problems:
        (line, message), rest = problems[0], problems[1:20]
        raise AssignmentError(path, line, message, tuple(f"{path}:{n}: {m}" for n, m in rest))


# -- semantic checks the schema cannot express --------------------------------------------

# the names a step refers to: key -> what it must name, defined by an earlier step
REFERS: dict[str, dict[str, str]] = {
    **{v: {"as": "client"} for v in ("send", "expect", "expect_silence", "close", "shutdown", "reset",
                                     "expect_closed")},
    **{v: {"of": "program"} for v in ("expect_output", "wait_exit", "check_stderr", "stop", "expect_blocked",
                                      "pause", "resume")},
    "type": {"into": "program"}, "accept": {"of": "listener"},
    **{v: {"to": "server"} for v in ("start", "connect", "session", "fill_queue")},
}
ONE_OF = {"send": ("data", "random"), "expect": ("data", "echo", "others", "lines"), "type": ("data", "eof")}
SHORTHAND = Runner.VERBS
PORT_MEASURES = ("backlog", "accept_queue")


def _expand(args: dict[str, Any], key: str) -> list[str]:
    name, count = str(args.get(key, "")), args.get("each")
    return [name.replace("{i}", str(i)) for i in range(1, count + 1)] if count else [name]


class _Names:
    """What the steps so far have defined, to check what later steps refer to."""

    def __init__(self) -> None:
        self.kinds: dict[str, set[str]] = {"client": set(), "program": set(), "server": set(), "listener": set()}
        self.templates: list[re.Pattern[str]] = []  # fill_queue's clients: "q{i}" for any i
        self.saved: set[str] = set()

    def known(self, kind: str, name: str) -> bool:
        if kind == "client" and any(t.fullmatch(name) for t in self.templates):
            return True
        return name in self.kinds[kind] or (kind == "server" and name in self.kinds["listener"])


def check_steps(path: Path, lines: Lines, index: int, steps: list[dict[str, Any]],
                programs: dict[str, ProgramSpec]) -> None:
    names = _Names()
    for n, step in enumerate(steps):
        ((verb, args),) = step.items()
        if not isinstance(args, dict):  # shorthand: `start: server`, `connect: alice`
            args = {SHORTHAND[verb]: args}
        line = lines.get((index, "steps", n), 0)

        def fail(msg: str, line: int = line, n: int = n, verb: str = verb) -> AssignmentError:
            return AssignmentError(path, line, f"step {n + 1} ({verb}): {msg}")

        if verb in ONE_OF and sum(k in args for k in ONE_OF[verb]) != 1:
            raise fail(f"needs exactly one of: {', '.join(ONE_OF[verb])}")
        if verb == "expect" and "others" in args and "each" not in args:
            raise fail("`others:` needs `each: N` (the clients whose lines are expected)")
        refers = dict(REFERS.get(verb, {}))
        if verb == "probe":
            if args["measure"] != "processes" and "of" not in args:
                raise fail(f"measure {args['measure']!r} needs `of: NAME`")
            refers["of"] = "server" if args["measure"] in PORT_MEASURES else "program"
        for key, kind in refers.items():
            if key not in args:
                continue
            for name in _expand(args, key):
                if not names.known(kind, name):
                    raise fail(f"no {kind} named {name!r} was {'connected' if kind == 'client' else 'started'} "
                               f"by an earlier step")
        for bound in ("at_least", "at_most", "equals"):
            ref = args.get(bound)
            if isinstance(ref, str):
                m = BOUND_RE.fullmatch(ref)
                if not m:
                    raise fail(f"{bound}: {ref!r} is not a bound: write a number, the name of a saved measure, "
                               f"or NAME + N / NAME - N")
                if m.group(1) not in names.saved:
                    raise fail(f"{bound}: {ref!r} refers to no measure saved by an earlier step")
        if verb == "compare" and args["saved"] not in names.saved:
            raise fail(f"no measure named {args['saved']!r} was saved by an earlier step")
        _define(verb, args, names, programs, fail)


def _define(verb: str, args: Any, names: _Names, programs: dict[str, ProgramSpec],
            fail: Callable[[str], AssignmentError]) -> None:
    if verb == "start":
        program = args["program"]
        if program not in programs:
            raise fail(f"unknown program {program!r} (assignment.yaml defines: {', '.join(programs)})")
        name = args.get("as", program)
        names.kinds["program"].add(name)
        if programs[program].kind == "server":
            names.kinds["server"].add(name)
            names.saved.add(f"{name}_backlog")  # the driver saves each server's listen backlog
    elif verb == "listen":
        names.kinds["listener"].add(args["as"])
    elif verb in ("connect", "session", "accept"):
        names.kinds["client"].update(_expand(args, "as"))
    elif verb == "fill_queue":
        names.templates.append(re.compile(re.escape(args["as"]).replace(re.escape("{i}"), r"\d+")))
    if "save" in args:
        names.saved.add(args["save"])


def find_assignment(name_or_path: str | os.PathLike[str]) -> Path:
    path = Path(name_or_path)
    if (path / "assignment.yaml").is_file():
        return path
    for root in assignment_roots():
        if (root / str(name_or_path) / "assignment.yaml").is_file():
            return root / str(name_or_path)
    raise UsageError(f"no assignment {str(name_or_path)!r}: give a lab name ({', '.join(list_labs())}) "
                     f"or the path of a folder holding assignment.yaml")


def assignment_roots() -> list[Path]:
    here = Path(__file__).resolve().parent.parent
    candidates = [os.environ.get("LABGRADE_ASSIGNMENTS"), here.parent / "assignments", here / "_data" / "assignments"]
    return [Path(c) for c in candidates if c and Path(c).is_dir()]


def list_labs() -> list[str]:
    return sorted({p.parent.name for root in assignment_roots() for p in root.glob("*/assignment.yaml")})


def load_assignment(folder: Path) -> Assignment:
    folder = Path(folder).resolve()
    meta_path = folder / "assignment.yaml"
    meta, lines = load_yaml(meta_path)
    validate(meta_path, meta, lines, "assignment")
    programs = {n: ProgramSpec(n, tuple(p["argv"]), p["kind"]) for n, p in meta["programs"].items()}
    reference = (folder / meta["reference"]).resolve()
    for p in programs.values():
        if not (reference / p.script).is_file():
            raise AssignmentError(meta_path, lines.get(("reference",)),
                                  f"reference program {p.script} not found in {reference}")
    scenarios: list[Scenario] = []
    seen: dict[str, str] = {}
    files = sorted((folder / "scenarios").glob("*.yaml")) + sorted((folder / "scenarios").glob("*.yml"))
    for path in files:
        data, lines = load_yaml(path)
        validate(path, data, lines, "scenarios")
        for i, raw in enumerate(data):
            line = lines[(i,)]
            if raw["name"] in seen:
                raise AssignmentError(path, line, f"duplicate scenario name {raw['name']!r} "
                                                  f"(first defined at {seen[raw['name']]})")
            seen[raw["name"]] = f"{path}:{line}"
            check_steps(path, lines, i, raw["steps"], programs)
            scenarios.append(Scenario(
                name=raw["name"], tags=tuple(raw["tags"]), points=float(raw["points"]), steps=tuple(raw["steps"]),
                feedback=raw.get("feedback", "").strip(), visibility=raw.get("visibility", "visible"),
                timeout=float(raw.get("timeout", 30.0)), path=path, line=line))
    if not scenarios:
        raise AssignmentError(folder / "scenarios", None, "no scenarios: add scenarios/*.yaml files")
    return Assignment(name=meta["name"], title=meta.get("title", meta["name"]), root=folder, reference=reference,
                      programs=programs, scenarios=tuple(scenarios), limits=Limits(**meta.get("limits", {})))
