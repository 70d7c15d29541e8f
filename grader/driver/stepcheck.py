"""A step as a check written in Python sends it (`box.step`), checked against the table of steps
(stepspec.py) before the driver runs it: what is wrong is the check's mistake, never the student's.
"""

from __future__ import annotations

import difflib
from typing import Any

from .i18n import _, ngettext
from .stepspec import STEPS, twice, with_key


def _type_of(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}.get(
        type(value), "null")


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    """The value's JSON type is one the key takes (the bounds and patterns are the driver's to find)."""
    if "const" in schema or "enum" in schema:
        return value in schema.get("enum", [schema.get("const")])
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    found = _type_of(value)
    return found in types or (found == "integer" and "number" in types)


def problem(step: Any) -> str | None:
    """What is wrong with a step as a check written in Python sends it (None: nothing): one known
    verb, its known keys, the required ones, values of the right type."""
    if not isinstance(step, dict) or len(step) != 1:
        return _("a step is a mapping with one key, the verb: got {step}").format(step=str(step)[:100])
    ((verb, args),) = step.items()
    if verb not in STEPS:
        close = difflib.get_close_matches(str(verb), list(STEPS), n=1)
        return _("unknown step {verb!r}{hint} (the steps: {steps})").format(
            verb=verb, hint=_(": did you mean {close!r}?").format(close=close[0]) if close else "",
            steps=", ".join(sorted(STEPS)))
    if both := twice(verb, args):
        return _("step {verb!r}: {problem}").format(verb=verb, problem=both)
    spec, args = STEPS[verb], with_key(verb, args)
    if not isinstance(args, dict):
        return _("step {verb!r} takes a mapping of its keys ({keys}), got {args}").format(
            verb=verb, keys=", ".join(spec.keys), args=str(args)[:100])
    for key, value in args.items():
        if key not in spec.keys:
            close = difflib.get_close_matches(str(key), list(spec.keys), n=1)
            return _("step {verb!r} has no key {key!r}{hint} (its keys: {keys})").format(
                verb=verb, key=key, hint=_(": did you mean {close!r}?").format(close=close[0]) if close else "",
                keys=", ".join(spec.keys))
        if not _fits(value, spec.keys[key].schema):
            return _("step {verb!r}: {key}: {value} is not a value this key takes").format(
                verb=verb, key=key, value=repr(value)[:100])
    missing = [k for k in spec.required if k not in args]
    if missing:
        return ngettext("step {verb!r} needs the key {keys}", "step {verb!r} needs the keys {keys}",
                        len(missing)).format(verb=verb, keys=", ".join(missing))
    if spec.one_of and sum(k in args for k in spec.one_of) != 1:
        return _("step {verb!r} needs exactly one of: {keys}").format(verb=verb, keys=", ".join(spec.one_of))
    return None
