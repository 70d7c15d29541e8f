"""Read an instructor's YAML file into plain values, keeping the line of every value.

Theory of operation. The file is read in three passes, each of which can only fail with an
AssignmentError naming the file and a line inside it:
1. the parser's events (no recursion, so any nesting is safe to scan) to refuse files nested
   deeper than MAX_DEPTH before PyYAML's recursive composer would meet them;
2. the composer, into nodes (anchors resolved, so one node can appear at several places);
3. our builder, from nodes to dicts, lists and scalars, which records each value's line and
   refuses what `yaml.safe_load` would accept silently or choke on: duplicate keys (it keeps
   the last one), keys that are lists or mappings, tags (`!!python/object`, `!!set`...), merge
   keys, aliases that loop or expand the file beyond MAX_VALUES ("billion laughs"), dates,
   numbers that are not finite or too big, and strings holding lone surrogates.
Only JSON-like values come out (str, int, float, bool, None, list, dict), which JSON Schema
then checks.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from ..driver.i18n import N_, _
from ..errors import AssignmentError

Lines = dict[tuple[Any, ...], int]

MAX_DEPTH = 32  # real files nest 6 deep (scenario list > scenario > steps > step > args > lines)
MAX_VALUES = 100_000  # real files hold a few thousand values; past this aliases have run away
MAX_INT = 2**53  # no key takes more (floats hold integers exactly up to here)

YAML_TAG = "tag:yaml.org,2002:"
MAP, SEQ, MERGE = YAML_TAG + "map", YAML_TAG + "seq", YAML_TAG + "merge"
SCALARS = {YAML_TAG + t for t in ("str", "int", "float", "bool", "null")}
SURROGATE = re.compile("[\ud800-\udfff]")

# PyYAML's problem text (English, the parser's own words: shown as it is) -> what to do about it
HINTS = {
    "'\\t'": N_("indent with spaces: YAML does not allow tabs there"),
    "mapping values are not allowed here": N_("a value holding `: ` must be quoted, or the indentation is off"),
    "could not find expected ':'": N_("a key must be followed by `: `, or a quoted value misses its closing quote"),
    "expected <block end>": N_("the indentation is off: the items of one list or mapping start in the same column"),
    "found undefined alias": N_("define the anchor (&name) before using the alias (*name)"),
}
PLAIN_YAML = N_("the tag {tag} is not allowed: write plain YAML (lists, mappings, text, numbers, true/false)")


def _tag(tag: str) -> str:
    return "!!" + tag.removeprefix(YAML_TAG) if tag.startswith(YAML_TAG) else tag


def _line(mark: Any) -> int:  # yaml.Mark, or the C extension's, or None
    return mark.line + 1 if mark else 1


def _clip(text: str, width: int = 24) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def _last_line(text: str) -> int:
    """PyYAML counts the end of the file, after its last line break, as one more line: not for people."""
    return max(1, len(text.splitlines()))


def load_yaml(path: Path) -> tuple[Any, Lines]:
    """The file's value (None when empty) and the line of each value, keyed by its path of keys."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise AssignmentError(path, None, _("cannot read: {error}").format(error=e.strerror or e)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AssignmentError(path, raw.count(b"\n", 0, e.start) + 1,
                              _("not UTF-8 text (byte {byte}): save the file as UTF-8").format(
                                  byte=f"{raw[e.start]:#04x}")) from None
    node = _compose(path, text)
    builder = _Builder(path)
    return (builder.build(node, ()) if node is not None else None), builder.lines


def _compose(path: Path, text: str) -> yaml.Node | None:
    try:
        depth = 0
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise AssignmentError(path, _line(event.start_mark),
                                          _("nested more than {depth} levels deep: is a bracket left open?").format(
                                              depth=MAX_DEPTH))
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        node: yaml.Node | None = yaml.compose(text, Loader=yaml.SafeLoader)
        return node
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = min(mark.line + 1, _last_line(text)) if mark else None
        problem = e.problem or ""
        if e.context:
            where = e.context_mark.line + 1 if e.context_mark else line
            at = f" at line {where}" if where != line else ""
            problem = f"{e.context}{at}, {problem}" if problem else e.context
        problem = problem.replace("'<stream end>'", "the end of the file")  # in the parser's English sentence
        hint = next((h for k, h in HINTS.items() if k in problem), None)
        raise AssignmentError(path, line, _("not valid YAML: {problem} ({hint})").format(problem=problem, hint=_(hint))
                              if hint else _("not valid YAML: {problem}").format(problem=problem)) from None
    except yaml.reader.ReaderError as e:  # a character YAML does not allow, e.g. a control character
        line = text.count("\n", 0, e.position) + 1
        code = e.character if isinstance(e.character, int) else ord(e.character)
        raise AssignmentError(path, line, _("not valid YAML: character {code} is not allowed in a YAML file (inside "
                                            "double quotes, write it as an escape: {escape})").format(
            code=f"U+{code:04X}", escape=f'"\\x{code:02x}"')) from None
    except yaml.YAMLError as e:
        raise AssignmentError(path, 1, _("not valid YAML: {problem}").format(problem=e)) from None


class _Builder:
    """Nodes -> plain values, recording the line of each value's path (a key's path: the key's line)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: Lines = {}
        self.count = 0
        self.open: set[int] = set()  # the collections being built: an alias to one of them is a loop
        self.key_line = 0  # the line of the key whose value is being built (aliases have no line of their own)
        self.constructor = yaml.constructor.SafeConstructor()

    def error(self, node: yaml.Node, message: str) -> AssignmentError:
        return AssignmentError(self.path, node.start_mark.line + 1, message)

    def build(self, node: yaml.Node, at: tuple[Any, ...]) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise AssignmentError(self.path, self.key_line or node.start_mark.line + 1,
                                  _("more than {count} values once the aliases (*name) are expanded: use fewer "
                                    "aliases").format(count=MAX_VALUES))
        self.lines[at] = node.start_mark.line + 1
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node)
        if id(node) in self.open:
            raise self.error(node, _("the value anchored here (&name) holds an alias (*name) to itself: YAML data "
                                     "must not loop"))
        expected = MAP if isinstance(node, yaml.MappingNode) else SEQ
        if node.tag != expected:
            raise self.error(node, _(PLAIN_YAML).format(tag=_tag(node.tag)))
        self.open.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self.mapping(node, at)
            return [self.build(item, (*at, i)) for i, item in enumerate(node.value)]
        finally:
            self.open.discard(id(node))

    def mapping(self, node: yaml.MappingNode, at: tuple[Any, ...]) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE:
                raise self.error(key_node, _("merge keys (<<) are not supported: write the keys out (an alias *name "
                                             "can still stand for a whole value)"))
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.error(key_node, _("a key must be a name, not a list or a mapping (is a `?` or a bracket "
                                             "misplaced?)"))
            key = self.scalar(key_node)
            if key in out:
                first = self.lines[(*at, key)]
                raise self.error(key_node, _("duplicate key {key} (first at line {first}): keep only one").format(
                    key=_clip(repr(key), 60), first=first))
            outer, self.key_line = self.key_line, key_node.start_mark.line + 1
            out[key] = self.build(value_node, (*at, key))
            self.key_line = outer
            self.lines[(*at, key)] = key_node.start_mark.line + 1  # errors about a key point at the key
        return out

    def scalar(self, node: yaml.ScalarNode) -> Any:
        text = _clip(node.value)
        if node.tag == YAML_TAG + "timestamp":
            raise self.error(node, _("{value} reads as a date, which no key takes: put it in quotes if it is "
                                     "text").format(value=text))
        if node.tag not in SCALARS:
            raise self.error(node, _(PLAIN_YAML).format(tag=_tag(node.tag)))
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError, IndexError, KeyError):  # e.g. `!!int ""`, `!!bool maybe`, or an
            # integer of more than 4300 digits, which Python refuses to read
            raise self.error(node, _("{value} is too big a number").format(value=text) if len(node.value) > 20 else
                                   _("{value!r} cannot be read as {tag}: remove the tag").format(
                                       value=text, tag=_tag(node.tag))) from None
        except yaml.MarkedYAMLError as e:
            raise self.error(node, _("not valid YAML: {problem}").format(problem=e.problem)) from None
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(node, _("{value} is not a number the grader can use: write a finite number").format(
                value=text))
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
            raise self.error(node, _("{value} is too big a number (at most 2**53)").format(value=text))
        if isinstance(value, str) and SURROGATE.search(value):
            raise self.error(node, _("holds half of a UTF-16 surrogate pair (\\ud800-\\udfff), which is not a "
                                     "character: write the character itself"))
        return value
