"""A YAML file's value checked against its JSON Schema (schema/NAME.schema.json), every problem
said for a person: the file and line, where inside the file (a scenario, a step, a key), what was
expected, in the current language. Made from jsonschema's error fields, not its English messages.
"""

from __future__ import annotations

import json
import re
import reprlib
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

from ..driver.i18n import N_, Nn_, _, ngettext
from ..errors import AssignmentError
from ..text import did_you_mean
from .model import TAGS
from .yamlfile import Lines

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
        current = [k for k, v in props.items() if not v.get("deprecated")]  # an older spelling is not offered
        return (*at, extra[0]), _(UNKNOWN["key"]).format(name=_short(extra[0]), hint=did_you_mean(extra[0], current),
                                                          allowed=", ".join(current))
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
