"""Load an assignment folder: YAML with line marks -> JSON Schema -> semantic checks -> model.

Every problem becomes an AssignmentError naming the file and line and what was expected;
all the problems of one file are reported together (in the order of their lines). No other
exception escapes, whatever the files hold: tests/unit/test_assignment_fuzz.py checks that.
"""

from __future__ import annotations

import json
import os
import re
import reprlib
from collections.abc import Callable, Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from ..driver.i18n import LANGUAGES, N_, Nn_, _, ngettext
from ..driver.steps import BOUND_RE
from ..driver.stepspec import STEPS, StepSpec, with_key
from ..errors import AssignmentError, UsageError
from ..text import closest, did_you_mean
from .model import TAGS, Assignment, Limits, ProgramSpec, Scenario, Text, versions
from .shared import load_shared
from .yamlfile import Lines, load_yaml

__all__ = ["find_assignment", "list_labs", "load_assignment", "load_yaml", "read_checked", "validate"]

# A pattern of the schemas -> what a value matching it looks like, for the error messages
PATTERNS = {
    "^[A-Za-z_][A-Za-z0-9_{}-]*$": N_("a name (letters, digits, _ and -, not starting with a digit)"),
    "^[A-Za-z_][A-Za-z0-9_]*\\{i\\}$": N_("a name ending in {i}, e.g. q{i} (the clients q1, q2, ...)"),
    "^[A-Za-z_][A-Za-z0-9_]*$": N_("a name (letters, digits and _, not starting with a digit)"),
    "^[a-z0-9][a-z0-9-]*$": N_("a lab name (lower-case letters, digits and -)"),
    "^[a-z][a-z0-9_]*$": N_("a program name (lower-case letters, digits and _)"),
    "^[a-z][a-z0-9_-]*$": N_("a tag (lower-case letters, digits, _ and -, starting with a letter)"),
    "^[^\\u0000-\\u001f\\u007f]+$": N_("one line of text without control characters"),
    "^[^\\u0000]*$": N_("text without NUL characters"),
    "\\S": N_("some words, not only spaces"),
    "^[A-Za-z0-9_][A-Za-z0-9_.-]*(/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$":
        N_("a file of the submission, as a relative path such as server.py or src/server.py"),
}
FOUND: dict[type, str] = {dict: N_("a mapping"), list: N_("a list"), str: N_("text"), bool: N_("a boolean"),
                          int: N_("a number"), float: N_("a number"), type(None): N_("an empty value")}
TYPES = {"object": N_("a mapping (key: value)"), "array": N_("a list (- item)"), "string": N_("text"),
         "number": N_("a number"), "integer": N_("a whole number"), "boolean": N_("true or false"),
         "null": N_("nothing")}
EMPTY: dict[type, str] = {list: N_("{value} is empty: expected at least one item"),
                          str: N_("{value} is empty: expected at least one character"),
                          dict: N_("{value} is empty: expected at least one key")}
UNKNOWN = {"key": N_("unknown key {name}{hint} (expected one of: {allowed})"),
           "step": N_("unknown step {name}{hint} (expected one of: {allowed})"),
           "language": N_("unknown language {name}{hint} (expected one of: {allowed})")}
# a number out of its bounds (the value and the bound as the file writes them: 0.5, whatever the language)
BOUNDS = {"minimum": N_("{value} is less than the minimum of {limit}: write {limit} or more"),
          "maximum": N_("{value} is greater than the maximum of {limit}: write {limit} or less"),
          "exclusiveMinimum": N_("{value} is too small: write more than {limit}"),
          "exclusiveMaximum": N_("{value} is too big: write less than {limit}")}
# a size out of its bounds: plural forms, by the bound
SIZES = {"minLength": Nn_("{value} is too short: write at least {limit} character",
                          "{value} is too short: write at least {limit} characters"),
         "maxLength": Nn_("{value} is too long: write at most {limit} character",
                          "{value} is too long: write at most {limit} characters"),
         "minItems": Nn_("{value} is too short: give at least {limit} item", "{value} is too short: give at least "
                                                                               "{limit} items"),
         "maxItems": Nn_("{value} is too long: give at most {limit} item", "{value} is too long: give at most "
                                                                            "{limit} items"),
         "minProperties": Nn_("{value} has too few keys: give at least {limit}",
                              "{value} has too few keys: give at least {limit}"),
         "maxProperties": Nn_("{value} has too many keys: give at most {limit}",
                              "{value} has too many keys: give at most {limit}")}

WHOLE_FILE = {"scenarios": N_("a scenario file is a list of scenarios, each starting with `- name:`"),
              "assignment": N_("assignment.yaml is a mapping with the keys name:, reference: and programs:"),
              "mutant": N_("mutant.yaml is a mapping with the keys description: and fails:"),
              "overrides": N_("an overrides file is a list of overrides, each starting with `- submission:`")}
IN = N_("{where}: {problem}")  # a problem, and where it is inside the file (a scenario, a step, a key)


def _strict_integer(checker: Any, instance: Any) -> bool:
    """2.0 is not an integer here (JSON Schema says it is): `each: 2.0` would reach range()."""
    return isinstance(instance, int) and not isinstance(instance, bool)


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    """JSON Schema patterns are ECMA-262 regexes, whose final `$` is the end of the text; in Python
    it also matches before a final newline (`name: "alice\\n"` would pass): make it `\\Z`."""
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith("\\$") else pattern)


def _pattern(validator: Any, pattern: str, instance: Any, schema_: Any) -> Iterator[jsonschema.ValidationError]:
    if isinstance(instance, str) and not _regex(pattern).search(instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


Validator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]  # untyped in types-jsonschema
    jsonschema.Draft202012Validator, validators={"pattern": _pattern},
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer))


@cache
def schema(name: str) -> dict[str, Any]:
    text = resources.files("grader.assignment").joinpath(f"schema/{name}.schema.json").read_text()
    return dict(json.loads(text))


@cache
def _validator(name: str, tags: tuple[str, ...] = TAGS) -> Any:
    """The schema's validator; where it names tags (`$defs/tag`), `tags` are the ones allowed: the
    standard ones, and the lab's own (assignment.yaml `tags:`)."""
    schema_ = schema(name)
    if "tag" in schema_.get("$defs", {}):
        schema_ = {**schema_, "$defs": {**schema_["$defs"], "tag": {**schema_["$defs"]["tag"], "enum": list(tags)}}}
    return Validator(schema_)


_REPR = reprlib.Repr()
_REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxdict, _REPR.maxlevel = 40, 40, 3, 3, 1


def _short(value: Any) -> str:
    """A value as it may appear in a message: a long or deep one is cut (`[[[...]]]`, `'aaa...aaa'`)."""
    return _REPR.repr(value)


def _either(words: list[str]) -> str:
    """"a or b or c", in the current language."""
    out = words[0]
    for word in words[1:]:
        out = _("{either} or {other}").format(either=out, other=word)
    return out


def _in(where: str, problem: str) -> str:
    """The problem, after where it is ("" when that is the file itself)."""
    return _(IN).format(where=where, problem=problem) if where else problem


def _matching(pattern: str) -> str | None:
    """What a value matching one of the schemas' patterns looks like, in the current language."""
    return _(PATTERNS[pattern]) if pattern in PATTERNS else None


def _explain(error: jsonschema.ValidationError) -> tuple[tuple[Any, ...], str]:
    """A person's reading of a schema error, in the current language, and the path of the node to blame.
    It is made from the error's fields (validator, its value, the instance, the schema); jsonschema's
    own English `message` only for a validator the schemas do not use."""
    at = tuple(error.absolute_path)
    schema_: Any = error.schema  # jsonschema types these as possibly unset
    value: Any = error.validator_value
    instance: Any = error.instance
    validator = str(error.validator)
    props = schema_.get("properties", {}) if isinstance(schema_, dict) else {}
    if validator in ("anyOf", "oneOf") and error.context:  # the alternative that came closest (of the value's
        # type, if any is), explained
        fitting = [e for e in error.context if e.validator != "type"] or error.context
        return _explain(jsonschema.exceptions.best_match(fitting))
    if validator == "additionalProperties" and isinstance(instance, dict):
        extra = sorted((k for k in instance if k not in props), key=str)
        return (*at, extra[0]), _(UNKNOWN["key"]).format(name=_short(extra[0]), hint=did_you_mean(extra[0], props),
                                                          allowed=", ".join(props))
    if "propertyNames" in error.schema_path:  # a key of a mapping
        key = (*at, instance)
        if validator == "enum":
            what = "step" if "connect" in value else "language" if schema_.get("title") == "language" else "key"
            return key, _(UNKNOWN[what]).format(name=_short(instance), hint=did_you_mean(instance, map(str, value)),
                                                allowed=", ".join(map(str, value)))
        if validator == "type":
            return key, _("the key {key} is not text: write a name").format(key=_short(instance))
        if validator == "pattern" and (expected := _matching(value)):
            return key, _("the key {key} is not {expected}").format(key=_short(instance), expected=expected)
        return key, _("the key {key} does not match the pattern {pattern}").format(key=_short(instance),
                                                                                   pattern=value)
    if validator == "required" and isinstance(instance, dict):
        missing = [k for k in value if k not in instance]  # jsonschema makes one error a missing key: all say all
        return at, ngettext("missing required key {keys}", "missing required keys {keys}", len(missing)).format(
            keys=", ".join(map(repr, missing)))
    if validator in ("minProperties", "maxProperties") and "connect" in schema_.get("propertyNames", {}).get(
            "enum", ()):
        return at, _("a step is a mapping with exactly one key, the step's name (e.g. `- connect: alice`)")
    if validator == "enum" and schema_.get("title") == "tag":
        return at, _("unknown tag {name}{hint} (expected one of: {allowed}; a lab declares its own tags in "
                     "assignment.yaml, e.g. `tags: [format]`)").format(
            name=_short(instance), hint=did_you_mean(instance, map(str, value)), allowed=", ".join(map(str, value)))
    if validator == "enum":
        return at, _("{value} is not allowed here{hint} (expected one of: {allowed})").format(
            value=_short(instance), hint=did_you_mean(instance, map(str, value)), allowed=", ".join(map(str, value)))
    if validator == "const":
        return at, _("{value} is not allowed here: write {const} or leave the key out").format(
            value=_short(instance), const=json.dumps(value))
    if validator == "type":
        types = [value] if isinstance(value, str) else list(value)
        found = FOUND.get(type(instance))
        return at, _("expected {expected}, found {found} {value}").format(
            expected=_either([_(TYPES[t]) if t in TYPES else t for t in types]),
            found=_(found) if found else type(instance).__name__, value=_short(instance))
    if validator == "pattern":
        return at, _("{value} does not match: expected {expected}").format(
            value=_short(instance), expected=_matching(value) or _("the pattern {pattern}").format(pattern=value))
    if validator in ("minItems", "minLength", "minProperties") and value == 1 and type(instance) in EMPTY:
        return at, _(EMPTY[type(instance)]).format(value=_short(instance))
    if validator in BOUNDS:
        return at, _(BOUNDS[validator]).format(value=_short(instance), limit=_short(value))
    if validator in SIZES and isinstance(value, int):
        return at, ngettext(*SIZES[validator], value).format(value=_short(instance), limit=_short(value))
    if validator == "uniqueItems":
        return at, _("{value} lists an item twice").format(value=_short(instance))
    if validator in ("anyOf", "oneOf", "not"):  # oneOf: more than one alternative fits
        return at, _("{value} is not one of the forms this key takes").format(value=_short(instance))
    message, full = error.message, repr(instance)  # a validator no schema of labgrade uses: jsonschema's English
    return at, _short(instance) + message[len(full):] if message.startswith(full) else message[:200]


def _where(data: Any, at: tuple[Any, ...]) -> str:
    """'scenario "echo one line", step 3' for a path inside a scenario file ("" outside any scenario)."""
    if not (isinstance(data, list) and at and isinstance(at[0], int) and at[0] < len(data)):
        return ""
    scenario = data[at[0]]
    name = scenario.get("name") if isinstance(scenario, dict) else None
    named = isinstance(name, str) and name.isprintable() and 0 < len(name) <= 60
    if len(at) >= 3 and at[1] == "steps" and isinstance(at[2], int):
        where = _('scenario "{name}", step {step}') if named else _("scenario #{number}, step {step}")
        return where.format(name=name, number=at[0] + 1, step=at[2] + 1)
    return (_('scenario "{name}"') if named else _("scenario #{number}")).format(name=name, number=at[0] + 1)


def validate(path: Path, data: Any, lines: Lines, schema_name: str, tags: tuple[str, ...] = TAGS) -> None:
    if data is None and not lines:
        expected = _(TYPES[schema(schema_name)["type"]])
        raise AssignmentError(path, 1, _("the file is empty: expected {expected}").format(expected=expected))
    problems = []
    errors = _validator(schema_name, tags).iter_errors(data)
    for error in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        at, message = _explain(error)
        if not at and error.validator == "type":
            message = _("{problem} ({explanation})").format(problem=message, explanation=_(WHOLE_FILE[schema_name]))
        while at not in lines and at:
            at = at[:-1]
        where = _where(data, at) if schema_name == "scenarios" else ""  # a list of overrides is no scenario
        problems.append((lines.get(at, 1), _in(where, message)))
    if problems:
        problems = sorted(dict.fromkeys(problems), key=lambda p: p[0])  # one line for the keys missing at one place
        (line, message), rest = problems[0], problems[1:20]
        raise AssignmentError(path, line, message, tuple(f"{path}:{n}: {m}" for n, m in rest))


# -- semantic checks the schema cannot express --------------------------------------------

UNDEFINED = {"client": N_("no client named {name!r} was connected by an earlier step"),  # by what it must name
             "program": N_("no program named {name!r} was started by an earlier step"),
             "server": N_("no server named {name!r} was started by an earlier step"),
             "listener": N_("no listener named {name!r} was started by an earlier step")}
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
                programs: dict[str, ProgramSpec], where: str = "") -> None:
    """What steps refer to was defined by an earlier step; `where` ('scenario "x"') starts messages."""
    names = _Names()
    for n, step in enumerate(steps):
        ((verb, value),) = step.items()
        spec, args = STEPS[verb], with_key(verb, value)  # `start: server` is `start: {program: server}`
        line = lines.get((index, "steps", n), 0)

        def fail(msg: str, line: int = line, n: int = n, verb: str = verb) -> AssignmentError:
            step = (_("{where}, step {step} ({verb}): {problem}") if where else
                    _("step {step} ({verb}): {problem}"))
            return AssignmentError(path, line, step.format(where=where, step=n + 1, verb=verb, problem=msg))

        if spec.one_of and sum(k in args for k in spec.one_of) != 1:
            raise fail(_("needs exactly one of: {keys}").format(keys=", ".join(spec.one_of)))
        if verb == "expect" and "others" in args and "each" not in args:
            raise fail(_("`others:` needs `each: N` (the clients whose lines are expected)"))
        if verb == "send" and "cut" in args:
            size = len(str(args.get("data", "")).encode())
            if "data" not in args:
                raise fail(_("`cut:` cuts `data:` into pieces: give `data:`"))
            if args["cut"] != sorted(args["cut"]) or args["cut"][-1] >= size:
                raise fail(ngettext("cut: {cut} must be increasing byte offsets inside data ({size} byte)",
                                    "cut: {cut} must be increasing byte offsets inside data ({size} bytes)",
                                    size).format(cut=args["cut"], size=size))
        if verb == "expect_output" and "allow" in args and "end" not in args:
            raise fail(_("`allow:` goes with `end: true` (one last line allowed before the output ends)"))
        for key, regex in (("match", args.get("match")), ("allow", args.get("allow"))):
            if verb == "expect_output" and isinstance(regex, str):
                try:
                    re.compile(regex)
                except re.error as e:
                    raise fail(_("{key}: {regex!r} is not a regular expression ({error})").format(
                        key=key, regex=regex, error=e)) from None
        for arg in spec.args:  # names taken as written (a list, or one name): the key says which is unknown
            values = args.get(arg.name, [])
            if arg.refers and not arg.each:
                for name in [values] if isinstance(values, str) else values:
                    if not names.known(arg.refers, name):
                        raise fail(_in(arg.name, _(UNDEFINED[arg.refers]).format(name=name)))
        if verb == "probe" and args["measure"] != "processes" and "of" not in args:
            raise fail(_("measure {measure!r} needs `of: NAME`").format(measure=args["measure"]))
        for arg in spec.args:  # a name, or with `each: N` the N names "c{i}" stands for
            if not arg.refers or not arg.each or arg.name not in args:
                continue
            kind = "server" if verb == "probe" and args["measure"] in PORT_MEASURES else arg.refers
            for name in _expand(args, arg.name):
                if not names.known(kind, name):
                    raise fail(_(UNDEFINED[kind]).format(name=name))
        for bound in ("at_least", "at_most", "equals"):
            ref = args.get(bound)
            if isinstance(ref, str):
                m = BOUND_RE.fullmatch(ref)
                if not m:
                    raise fail(_("{bound}: {ref!r} is not a bound: write a number, the name of a saved measure, "
                                 "or NAME + N / NAME - N").format(bound=bound, ref=ref))
                if m.group(1) not in names.saved:
                    raise fail(_("{bound}: {ref!r} refers to no measure saved by an earlier step").format(
                        bound=bound, ref=ref))
        if verb == "compare" and args["saved"] not in names.saved:
            raise fail(_("no measure named {name!r} was saved by an earlier step").format(name=args["saved"]))
        _define(spec, args, names, programs, fail)


def _define(spec: StepSpec, args: Any, names: _Names, programs: dict[str, ProgramSpec],
            fail: Callable[[str], AssignmentError]) -> None:
    """The names the step gives (the keys that `define` one, stepspec.py) known to the next steps."""
    if spec.name == "start":  # a program of assignment.yaml, under its own name unless `as:` gives one
        program = args["program"]
        if program not in programs:
            raise fail(_("unknown program {name!r}{hint} (assignment.yaml defines: {programs})").format(
                name=program, hint=did_you_mean(program, programs), programs=", ".join(programs)))
        name = args.get("as", program)
        names.kinds["program"].add(name)
        if programs[program].kind == "server":
            names.kinds["server"].add(name)
            names.saved.add(f"{name}_backlog")  # the driver saves each server's listen backlog
        return
    for arg in spec.args:
        if not arg.defines or arg.name not in args:
            continue
        if arg.defines == "clients":  # "q{i}": q1, q2, ... as many as got in
            names.templates.append(re.compile(re.escape(args[arg.name]).replace(re.escape("{i}"), r"\d+")))
        elif arg.defines == "measure":
            names.saved.add(args[arg.name])
        else:
            names.kinds[arg.defines].update(_expand(args, arg.name))


def _is_file(path: Path) -> bool:
    """Path.is_file, False (not an OSError) for a name too long or a path through a file."""
    try:
        return path.is_file()
    except OSError:
        return False


def find_assignment(name_or_path: str | os.PathLike[str]) -> Path:
    path = Path(name_or_path)
    if _is_file(path / "assignment.yaml"):
        return path
    for root in assignment_roots():
        if _is_file(root / str(name_or_path) / "assignment.yaml"):
            return root / str(name_or_path)
    labs = list_labs()
    name, close = str(name_or_path), closest(str(name_or_path), labs)
    raise UsageError((_("no assignment {name!r}: did you mean {close!r}? (give a lab name: {labs}; or the path of a "
                        "folder holding assignment.yaml)") if close else
                      _("no assignment {name!r} (give a lab name: {labs}; or the path of a folder holding "
                        "assignment.yaml)")).format(name=name, close=close, labs=", ".join(labs)))


def assignment_roots() -> list[Path]:
    here = Path(__file__).resolve().parent.parent
    candidates = [os.environ.get("LABGRADE_ASSIGNMENTS"), here.parent / "assignments", here / "_data" / "assignments"]
    return [Path(c) for c in candidates if c and Path(c).is_dir()]


def list_labs() -> list[str]:
    return sorted({p.parent.name for root in assignment_roots() for p in root.glob("*/assignment.yaml")})


def read_checked(path: Path, schema_name: str, tags: tuple[str, ...] = TAGS) -> tuple[Any, Lines]:
    """A YAML file's value and lines, checked against schema/SCHEMA_NAME.schema.json (`tags`: those allowed)."""
    data, lines = load_yaml(path)
    validate(path, data, lines, schema_name, tags)
    return data, lines


def _reference(path: Path, meta: dict[str, Any], lines: Lines,
               programs: dict[str, ProgramSpec]) -> tuple[Path, dict[str, Path]]:
    """The reference folder and the files other labs share with it; each program's script must be in one."""
    try:
        reference: Path = (path.parent / meta["reference"]).resolve()
        found = reference.is_dir()
    except (OSError, RuntimeError) as e:  # RuntimeError: a symlink loop
        why = e.strerror if isinstance(e, OSError) else str(e)
        raise AssignmentError(path, lines[("reference",)],
                              _("reference: {path} is not a folder one can use ({error})").format(
                                  path=_short(meta["reference"]), error=why)) from None
    if not found:
        raise AssignmentError(path, lines[("reference",)],
                              _("reference: no folder {path} (the path is relative to assignment.yaml)").format(
                                  path=reference))
    shared = load_shared(path, meta, lines, reference, assignment_roots())
    missing = [(lines[("programs", p.name)], _("program {name!r}: the reference has no {script} (looked for {path}): "
                                               "add it or fix argv").format(name=p.name, script=p.script,
                                                                            path=reference / p.script))
               for p in programs.values() if p.script not in shared and not _is_file(reference / p.script)]
    if missing:
        (line, message), rest = missing[0], missing[1:]
        raise AssignmentError(path, line, message, tuple(f"{path}:{n}: {m}" for n, m in rest))
    return reference, shared


def _tags(path: Path, meta: dict[str, Any], lines: Lines) -> tuple[str, ...]:
    """The tags the lab's scenarios and mutants may use: the standard ones, then its own."""
    own = meta.get("tags", [])
    for i, tag in enumerate(own):
        if tag in TAGS:
            raise AssignmentError(path, lines.get(("tags", i), lines[("tags",)]),
                                  _("tags: {tag!r} is a standard tag already: remove it from the lab's own "
                                    "tags").format(tag=tag))
    return (*TAGS, *own)


def _check_requires(scenarios: list[Scenario]) -> None:
    """`requires:` names scenarios of the assignment (in any of their languages), never itself, and makes no loop."""
    by_name = {name: s for s in scenarios for name in s.names}
    for s in scenarios:
        for r in s.requires:
            if r in s.names:
                raise AssignmentError(s.path, s.line, _('scenario "{name}": requires itself').format(name=s.name))
            if r not in by_name:
                raise AssignmentError(s.path, s.line, _('scenario "{name}": requires {required!r}, which no scenario '
                                                        "of the assignment is called{hint} (names must match "
                                                        "exactly)").format(name=s.name, required=r,
                                                                           hint=did_you_mean(r, by_name)))
    state: dict[str, int] = {}  # 1: being visited, 2: done

    def visit(s: Scenario, path: list[str]) -> None:
        state[s.name] = 1
        for r in (by_name[r].name for r in s.requires):
            if state.get(r) == 1:
                loop = " -> ".join([*path[path.index(r):], r]) if r in path else r
                raise AssignmentError(s.path, s.line, _("requires make a loop: {loop}").format(loop=loop))
            if state.get(r) is None:
                visit(by_name[r], [*path, r])
        state[s.name] = 2

    for s in scenarios:
        if s.name not in state:
            visit(s, [s.name])


class _Languages:
    """The languages of a lab's texts written in several: every such text must give the same ones."""

    def __init__(self) -> None:
        self.first: tuple[tuple[str, ...], Path, int] | None = None

    def text(self, path: Path, line: int, value: Text) -> Text:
        if isinstance(value, str):
            return value
        given = tuple(lang for lang in LANGUAGES if lang in value)  # the schema allows no other key
        if self.first is None:
            self.first = (given, path, line)
        elif given != self.first[0]:
            languages, first_path, first_line = self.first
            raise AssignmentError(path, line, _("this text is written in {given}, the lab's first text in several "
                                                "languages ({first}) in {languages}: give every text the same "
                                                "languages").format(given=", ".join(given),
                                                                    first=f"{first_path}:{first_line}",
                                                                    languages=", ".join(languages)))
        return value


def _scenarios(path: Path, programs: dict[str, ProgramSpec], seen: dict[str, str],
               tags: tuple[str, ...], texts: _Languages) -> list[Scenario]:
    """The scenarios of one file; `seen` maps the names of earlier files' scenarios (in each of their
    languages) to their file:line."""
    data, lines = read_checked(path, "scenarios", tags)
    scenarios = []
    for i, raw in enumerate(data):
        line = lines[(i,)]
        written = {key: texts.text(path, lines[(i, key)], raw[key]) for key in ("name", "feedback") if key in raw}
        scenario = Scenario(
            name=versions(raw["name"])[0], tags=tuple(raw["tags"]), points=float(raw["points"]),
            steps=tuple(raw["steps"]), visibility=raw.get("visibility", "visible"),
            timeout=float(raw.get("timeout", 30.0)), path=path, line=line, requires=tuple(raw.get("requires", ())),
            written=written)
        for name in scenario.names:
            if name in seen:
                raise AssignmentError(path, line, _("duplicate scenario name {name!r} (first defined at {first}): "
                                                    "give each scenario its own name").format(name=name,
                                                                                              first=seen[name]))
            seen[name] = f"{path}:{line}"
        check_steps(path, lines, i, raw["steps"], programs, _where(data, (i,)))
        scenarios.append(scenario)
    return scenarios


def _language(path: Path, meta: dict[str, Any], lines: Lines, languages: tuple[str, ...]) -> str:
    """The language the loaded lab speaks until a command chooses: `language:`, else its texts' first."""
    declared: str | None = meta.get("language")
    if declared and languages and declared not in languages:
        raise AssignmentError(path, lines[("language",)], _("language: {declared}, but the lab's texts are written "
                                                            "in {languages}: add the {declared} text to each of them, "
                                                            "or declare one of those").format(
            declared=declared, languages=", ".join(languages)))
    return declared or (languages[0] if languages else LANGUAGES[0])


def load_assignment(folder: Path) -> Assignment:
    folder = Path(folder).resolve()
    meta_path = folder / "assignment.yaml"
    meta, lines = read_checked(meta_path, "assignment")
    handin = tuple(meta.get("handin") or dict.fromkeys(p["argv"][0] for p in meta["programs"].values()))
    programs = {n: ProgramSpec(n, tuple(p["argv"]), p["kind"], provided=p["argv"][0] not in handin)
                for n, p in meta["programs"].items()}
    reference, shared = _reference(meta_path, meta, lines, programs)
    tags = _tags(meta_path, meta, lines)
    folder_ = folder / "scenarios"
    files = sorted(folder_.glob("*.yaml")) + sorted(folder_.glob("*.yml"))
    if not files:
        raise AssignmentError(folder_, None, _("no scenarios: add scenarios/*.yaml files") if folder_.is_dir() else
                                             _("missing: make this folder and add scenario files (*.yaml) to it"))
    texts = _Languages()
    written = {"title": texts.text(meta_path, lines[("title",)], meta["title"])} if "title" in meta else {}
    seen: dict[str, str] = {}
    scenarios = [s for path in files for s in _scenarios(path, programs, seen, tags, texts)]
    _check_requires(scenarios)
    languages, at_path, at_line = texts.first or ((), Path(), 0)
    loaded = Assignment(name=meta["name"], title=meta["name"], root=folder, reference=reference, programs=programs,
                        scenarios=tuple(scenarios), limits=Limits(**meta.get("limits", {})), handin=handin, tags=tags,
                        language=meta.get("language"), written=written, languages=languages,
                        languages_at=(at_path, at_line), shared=shared)
    return loaded.in_language(_language(meta_path, meta, lines, languages))
