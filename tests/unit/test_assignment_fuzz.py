"""Generated broken instructor files: each is accepted, or rejected with ONE `file:line: message`.

The property: load_assignment either returns, or raises an AssignmentError whose str() starts
with `path:line: `, the path being one of the assignment's files and the line one of its lines.
Nothing else may escape (KeyError, TypeError, RecursionError, yaml errors...): that would be a
traceback in front of an instructor.

The inputs start from the real labs' files, mutated two ways:
- structure-aware: parse, then delete / replace / rename / duplicate / wrap / swap / retype nodes,
  using the scenario language's own words (steps, keys, tags, names) so that mutants get past
  the parser and the schema and reach the semantic checks; then dump as YAML again;
- raw text: truncate, insert YAML's sharp edges (tabs, anchors and aliases that loop or explode,
  `!!python/object` tags, merge keys, huge numbers, control characters, invalid UTF-8, deep
  nesting), delete / duplicate / swap / re-indent lines.
Where random draws are too thin (one key among forty, one wrong type among ten), one test is
exhaustive instead: every key of the language with every near-miss type (`each: 2.0`).

Deterministic by default (derandomize, a fixed number of examples: 10-30 s, depending on the
machine's load); LABGRADE_FUZZ=long explores far more (5000 examples a test, ~6 min), with
fresh randomness each run:
    LABGRADE_FUZZ=long ./dev.sh test tests/unit/test_assignment_fuzz.py
"""

from __future__ import annotations

import copy
import json
import os
import random
import shutil
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.assignment import load_assignment
from grader.assignment.validation import schema
from grader.errors import AssignmentError

ROOT = Path(__file__).resolve().parents[2]
LABS = sorted(p.parent for p in (ROOT / "assignments").glob("*/assignment.yaml"))
SCENARIO_FILES = sorted((ROOT / "assignments").glob("*/scenarios/*.yaml"))

settings.register_profile("labgrade-ci", max_examples=150, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("labgrade-long", max_examples=5000, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FUZZ = settings.get_profile(f"labgrade-{os.environ.get('LABGRADE_FUZZ', 'ci')}")


# -- the words of the scenario language, from the schemas themselves ------------------------

def _words(node: Any) -> set[str]:
    """Every property name and enum string of a schema."""
    found: set[str] = set()
    if isinstance(node, dict):
        found |= set(node.get("properties", {}))
        found |= {v for v in node.get("enum", []) if isinstance(v, str)}
        for v in node.values():
            found |= _words(v)
    elif isinstance(node, list):
        for v in node:
            found |= _words(v)
    return found


WORDS = sorted(_words(schema("scenarios")) | _words(schema("assignment")))
NAMES = ["server", "client", "alice", "bob", "c{i}", "q{i}", "c1", "q3", "srv", "fds_before", "server_backlog",
         "{port}", "{host}", "server.py", "../server.py", "/etc/passwd", "", " ", "x" * 300]
ODD_NUMBERS = [0, -1, 1, 2.0, 0.5, 2**31, 2**53, 2**53 + 1, 2**63, 10**100, 1e300, float("inf"), float("nan")]
ODD_TEXT = ["\n", "a\nb", "\t", "\x00", "\x7f", "é", "😀", "\u2028", "{i}", "\\", "'", '"', "- x", "a: b", "*a",
            "&a", "!!python/object:os.system", "<<", "~", "null", "yes", "2024-01-01", "1e999", ".nan"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 600), st.sampled_from(ODD_NUMBERS),
                    st.sampled_from(WORDS), st.sampled_from(NAMES), st.sampled_from(ODD_TEXT), st.text(max_size=12))
keys = st.one_of(st.sampled_from(WORDS), st.sampled_from(NAMES), st.integers(-1, 3), st.none(), st.booleans(),
                 st.text(max_size=6))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
                      max_leaves=6)


# -- structure-aware mutations ----------------------------------------------------------------

Path_ = tuple[Any, ...]


def _nodes(tree: Any, at: Path_ = ()) -> list[Path_]:
    out = [at]
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += _nodes(v, (*at, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += _nodes(v, (*at, i))
    return out


def _get(tree: Any, at: Path_) -> Any:
    for k in at:
        tree = tree[k]
    return tree


def _replace(tree: Any, at: Path_, value: Any) -> Any:
    if not at:
        return value
    _get(tree, at[:-1])[at[-1]] = value
    return tree


def _rename(parent: dict[Any, Any], old: Any, new: Any) -> None:
    """Rename a key in place, keeping the order of keys (a step's verb stays its only key)."""
    items = [(new if k == old else k, v) for k, v in parent.items()]
    parent.clear()
    parent.update(items)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# a value of a near-miss type: where the schema wants one type, the other often slips through
RETYPES: dict[str, tuple[Callable[[Any], bool], Callable[[Any], Any]]] = {
    "int->float": (_is_int, float), "int->str": (_is_int, str), "int->bool": (_is_int, bool),
    "int->huge": (_is_int, lambda v: v * 10**20), "int->negative": (_is_int, lambda v: -v),
    "str->int": (lambda v: isinstance(v, str), len), "str->list": (lambda v: isinstance(v, str), lambda v: [v]),
    "str->empty": (lambda v: isinstance(v, str), lambda v: ""), "bool->int": (lambda v: isinstance(v, bool), int),
    "any->None": (lambda v: not isinstance(v, (list, dict)), lambda v: None),
}


def _retype(tree: Any, kind: str, rng: random.Random) -> Any:
    """`tree` with some of its leaves (each with probability 1/3) of RETYPES[kind]'s type converted."""
    applies, convert = RETYPES[kind]
    if isinstance(tree, dict):
        return {k: _retype(v, kind, rng) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_retype(v, kind, rng) for v in tree]
    return convert(tree) if applies(tree) and rng.random() < 1 / 3 else tree


TREE_OPS = ("replace", "delete", "rename", "duplicate", "wrap", "unwrap", "swap", "add", "retype",
            "steps", "steps", "steps")


@st.composite
def mutated_tree(draw: st.DrawFn, tree: Any, ops: tuple[str, ...] = TREE_OPS, most: int = 3) -> Any:
    tree = copy.deepcopy(tree)
    for _ in range(draw(st.integers(1, most))):
        at = draw(st.sampled_from(_nodes(tree)))
        node = _get(tree, at)
        parent = _get(tree, at[:-1]) if at else None
        op = draw(st.sampled_from(ops))
        steps_lists = [p for p in _nodes(tree) if p and p[-1] == "steps" and _get(tree, p) and
                       isinstance(_get(tree, p), list)]
        if op == "steps" and steps_lists:  # what a step refers to, defined later, or not at all, or misnamed
            steps = _get(tree, draw(st.sampled_from(steps_lists)))
            i = draw(st.integers(0, len(steps) - 1))
            how = draw(st.sampled_from(["delete", "move", "rename"]))
            if how == "delete":
                del steps[i]
            elif how == "move":
                steps.insert(draw(st.integers(0, len(steps) - 1)), steps.pop(i))
            else:
                names = [p for p in _nodes(steps[i]) if isinstance(_get(steps[i], p), str)]
                if names:
                    steps[i] = _replace(steps[i], draw(st.sampled_from(names)), draw(st.sampled_from(NAMES)))
        elif op == "retype":  # many leaves at once: finds the one place where a near-miss type is not caught
            tree = _retype(tree, draw(st.sampled_from(sorted(RETYPES))), random.Random(draw(st.integers(0, 2**32))))
        elif op == "replace":
            tree = _replace(tree, at, draw(values))
        elif op == "delete" and parent is not None:
            del parent[at[-1]]
        elif op == "rename" and isinstance(parent, dict):
            _rename(parent, at[-1], draw(keys))
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(at[-1], copy.deepcopy(node))
        elif op == "wrap":
            tree = _replace(tree, at, draw(st.sampled_from([[node], {draw(keys): node}])))
        elif op == "unwrap" and isinstance(node, (list, dict)) and node:
            tree = _replace(tree, at, copy.deepcopy(next(iter(node.values() if isinstance(node, dict) else node))))
        elif op == "swap" and isinstance(parent, list) and len(parent) > 1:
            j = draw(st.integers(0, len(parent) - 1))
            parent[at[-1]], parent[j] = parent[j], parent[at[-1]]
        elif op == "add" and isinstance(node, dict):
            node[draw(keys)] = draw(values)
    return tree


@st.composite
def dumped(draw: st.DrawFn, tree: Any) -> bytes:
    text = yaml.safe_dump(tree, sort_keys=False, allow_unicode=draw(st.booleans()),
                          default_flow_style=draw(st.sampled_from([False, None, True])),
                          width=draw(st.sampled_from([40, 80, 10**6])))
    return text.encode("utf-8")


# -- raw text mutations -----------------------------------------------------------------------

def _laughs() -> str:
    """A list item whose aliases expand to 10**7 values (the "billion laughs")."""
    rows = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    rows += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    return "- {" + ", ".join(rows) + "}\n"


SNIPPETS = [
    "\t", "\t- ", "  ", "    ", ": ", ":", "- ", "-", "? ", "# ", "#", "[", "]", "{", "}", ",", "'", '"', "|", ">",
    "&a ", "*a", "*undefined ", "&a [*a]", "&b {k: *b}", "!!python/object:os.system ", "!!set ", "!!binary ",
    "!!python/object/apply:os.system [ls] ", "!!str ", "!!int ", "!!float ", "!local ", "<<: ", "<<: *a\n",
    "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "9" * 5000, "0x" + "f" * 5000, "1" * 30, ".nan",
    ".inf", "-.inf", "1e999", "2024-01-01", "\x00", "\x01", "\x1b[31m", "\ufeff", "\u2028", "\x85", "\r", "\r\n",
    "é", "😀", "[" * 100, "{a: " * 50, "- " * 60, "~", "null", "points: 2\n", "name: x\n", "steps:\n",
    "- start: server\n", "  points: 1\n  points: 2\n", "{a: 1, a: 2}", "? [a]\n: b\n",
]
# appended to a scenario file (a list), these get past the parser to the builder
TAILS = [_laughs(), "- &s [*s]\n", "- &m {k: *m}\n", "- [" + "[" * 5000 + "]" * 5000 + "]\n", "- " * 3000 + "x\n",
         "- !!python/object:os.system {a: 1}\n", "- {a: 1, a: 2}\n", "- {<<: {a: 1}}\n", "- " + "9" * 5000 + "\n",
         "- {[a]: b}\n", "- .nan\n", '- "\\ud800"\n', "- 2024-01-01\n"]


TEXT_OPS = ("truncate", "insert", "insert_line", "delete_line", "duplicate_line", "swap_lines", "indent", "tabs",
            "text", "tail")


@st.composite
def mutated_text(draw: st.DrawFn, text: str, ops: tuple[str, ...] = TEXT_OPS, most: int = 3) -> bytes:
    for _ in range(draw(st.integers(1, most))):
        lines = text.splitlines(keepends=True) or [""]
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(ops))
        if op == "truncate":
            text = text[:draw(st.integers(0, len(text)))]
        elif op == "insert":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.sampled_from(SNIPPETS)) + text[at:]
        elif op == "insert_line":
            lines.insert(i, draw(st.sampled_from(SNIPPETS)) + "\n")
        elif op == "delete_line":
            del lines[i]
        elif op == "duplicate_line":
            lines.insert(i, lines[i])
        elif op == "swap_lines":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "indent":
            lines[i] = " " * draw(st.integers(1, 5)) + lines[i] if draw(st.booleans()) else lines[i].lstrip(" ")
        elif op == "tabs":
            stripped = lines[i].lstrip(" ")
            lines[i] = "\t" * ((len(lines[i]) - len(stripped)) // 2) + stripped
        elif op == "text":
            at = draw(st.integers(0, len(text)))
            text = text[:at] + draw(st.text(max_size=8)) + text[at + draw(st.integers(0, 8)):]
        else:
            text += draw(st.sampled_from(TAILS))
        if op in ("insert_line", "delete_line", "duplicate_line", "swap_lines", "indent", "tabs"):
            text = "".join(lines)
    raw = text.encode("utf-8")
    if draw(st.integers(0, 19)) == 0:  # now and then, bytes that are not UTF-8
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80"])) + raw[at:]
    return raw


# -- the property ---------------------------------------------------------------------------

def _line_count(raw: bytes) -> int:
    return max(1, len(raw.decode("utf-8", "replace").splitlines()))


def check_loads_or_says_where(folder: Path) -> None:
    """The property: the assignment loads, or one AssignmentError names a file of it and a line in that file."""
    try:
        load_assignment(folder)
    except AssignmentError as e:
        message = str(e)
        files = {p.resolve() for p in folder.rglob("*") if p.is_file()}
        assert e.path.resolve() in files, message
        assert isinstance(e.line, int) and 1 <= e.line <= _line_count(e.path.read_bytes()), message
        first, *more = message.splitlines()
        assert first.startswith(f"{e.path}:{e.line}: ") and first[len(f"{e.path}:{e.line}: "):].strip(), message
        assert len(first) < 600, message
        assert all(m.startswith(f"{e.path}:") and len(m) < 600 for m in more), message
        assert "Traceback" not in message


@pytest.fixture(scope="module")
def lab_copies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each lab as a folder we may break: its assignment.yaml (reference made absolute) and scenarios."""
    copies = {}
    for lab in LABS:
        dest = tmp_path_factory.mktemp(lab.name)
        meta = yaml.safe_load((lab / "assignment.yaml").read_text())
        meta["reference"] = str((lab / meta["reference"]).resolve())
        (dest / "assignment.yaml").write_text(yaml.safe_dump(meta, sort_keys=False))
        shutil.copytree(lab / "scenarios", dest / "scenarios")
        copies[lab.name] = dest
    return copies


def _one_file_lab(copies: dict[str, Path], scenario_file: Path) -> Path:
    """The lab of `scenario_file` with that file left out of scenarios/ (the mutation takes its
    place: its errors are its own), the lab's other files kept (what its scenarios require)."""
    lab = scenario_file.parent.parent.name
    folder = copies[lab].with_name(f"without-{lab}-{scenario_file.stem}")
    if not folder.exists():
        (folder / "scenarios").mkdir(parents=True)
        shutil.copy(copies[lab] / "assignment.yaml", folder)
        for other in (copies[lab] / "scenarios").glob("*.yaml"):
            if other.name != scenario_file.name:
                shutil.copy(other, folder / "scenarios" / other.name)
    return folder


def _broken_scenario_file(copies: dict[str, Path], scenario_file: Path, content: bytes) -> Path:
    folder = _one_file_lab(copies, scenario_file)
    (folder / "scenarios" / "broken.yaml").write_bytes(content)
    return folder


def test_the_unmutated_labs_load(lab_copies: dict[str, Path]) -> None:
    """The property's baseline: the copies load, so a rejection below is the mutation's doing."""
    assert sorted(lab_copies) == sorted(lab.name for lab in LABS) and len(LABS) >= 5
    for folder in lab_copies.values():
        assert load_assignment(folder).scenarios


def _given_file(strategy: Callable[[Any], st.SearchStrategy[bytes]], parse: bool) -> Any:
    """Draw a real scenario file, then a mutation of it."""
    def files(path: Path) -> st.SearchStrategy[bytes]:
        text = path.read_text()
        return strategy(yaml.safe_load(text) if parse else text)
    return st.sampled_from(SCENARIO_FILES).flatmap(lambda p: files(p).map(lambda content: (p, content)))


@FUZZ
@given(case=_given_file(lambda tree: mutated_tree(tree).flatmap(dumped), parse=True))
def test_mutated_scenario_structure(lab_copies: dict[str, Path], case: tuple[Path, bytes]) -> None:
    scenario_file, content = case
    check_loads_or_says_where(_broken_scenario_file(lab_copies, scenario_file, content))


@FUZZ
@given(case=_given_file(mutated_text, parse=False))
def test_mutated_scenario_text(lab_copies: dict[str, Path], case: tuple[Path, bytes]) -> None:
    scenario_file, content = case
    check_loads_or_says_where(_broken_scenario_file(lab_copies, scenario_file, content))


@FUZZ
@given(lab=st.sampled_from([lab.name for lab in LABS]), data=st.data())
def test_mutated_assignment_yaml(lab_copies: dict[str, Path], lab: str, data: st.DataObject) -> None:
    folder = lab_copies[lab]
    original = (folder / "assignment.yaml").read_bytes()
    if data.draw(st.booleans()):
        content = data.draw(mutated_tree(yaml.safe_load(original)).flatmap(dumped))
    else:
        content = data.draw(mutated_text(original.decode()))
    try:
        (folder / "assignment.yaml").write_bytes(content)
        check_loads_or_says_where(folder)
    finally:
        (folder / "assignment.yaml").write_bytes(original)


STAGES = {"load_yaml": "parser", "_compose": "parser", "build": "builder", "mapping": "builder",
          "scalar": "builder", "validate": "schema", "check_steps": "semantics", "_define": "semantics",
          "_scenarios": "semantics", "_check_requires": "semantics"}


def _keys(tree: Any) -> set[str]:
    if isinstance(tree, dict):
        return {k for k in tree if isinstance(k, str)} | {k for v in tree.values() for k in _keys(v)}
    return {k for v in tree for k in _keys(v)} if isinstance(tree, list) else set()


def _retype_key(tree: Any, key: str, kind: str) -> Any:
    """`tree` with every value of `key` that RETYPES[kind] applies to converted."""
    applies, convert = RETYPES[kind]
    if isinstance(tree, dict):
        return {k: convert(v) if k == key and applies(v) else _retype_key(v, key, kind) for k, v in tree.items()}
    return [_retype_key(v, key, kind) for v in tree] if isinstance(tree, list) else tree


def test_every_key_with_a_near_miss_type(lab_copies: dict[str, Path]) -> None:
    """Exhaustive where random draws are thin: each key of the scenario language (in the first real
    scenario using it), every value of it converted to each near-miss type (`each: 2.0`, `points: "2"`...)."""
    first: dict[str, tuple[Path, Any]] = {}
    for path in SCENARIO_FILES:
        for scenario in yaml.safe_load(path.read_text()):
            for key in _keys(scenario):
                first.setdefault(key, (path, scenario))
    assert len(first) > 30
    tried = 0
    for key, (path, scenario) in sorted(first.items()):
        tree = [scenario]
        original = yaml.safe_dump(tree, sort_keys=False)
        for kind in sorted(RETYPES):
            content = yaml.safe_dump(_retype_key(tree, key, kind), sort_keys=False)
            if content != original:  # (not mutant != tree: 2.0 == 2)
                tried += 1
                check_loads_or_says_where(_broken_scenario_file(lab_copies, path, content.encode()))
    assert tried > 100


def test_the_mutations_reach_every_stage(lab_copies: dict[str, Path]) -> None:
    """The generators are not toothless: their operations get mutants accepted, and rejected by the
    parser, the builder, the schema and the semantic checks alike."""
    seen: dict[str, int] = {}

    def stage(case: tuple[Path, bytes]) -> None:
        try:
            load_assignment(_broken_scenario_file(lab_copies, *case))
            reached = "accepted"
        except AssignmentError as e:
            reached = STAGES[traceback.extract_tb(e.__traceback__)[-1].name]  # the function that raised
        seen[reached] = seen.get(reached, 0) + 1

    # (derandomized, but Hypothesis also draws constants from the modules loaded: the sample
    # depends on which tests run, so each stage must be reached often, not by luck)
    @settings(FUZZ, max_examples=50, derandomize=True)
    @given(case=st.one_of(_given_file(lambda tree: mutated_tree(tree, ("steps",), 1).flatmap(dumped), parse=True),
                          _given_file(lambda tree: mutated_tree(tree, ("retype", "replace"), 1).flatmap(dumped),
                                      parse=True)))
    def structure(case: tuple[Path, bytes]) -> None:
        stage(case)

    @settings(FUZZ, max_examples=30, derandomize=True)
    @given(case=st.one_of(_given_file(lambda text: mutated_text(text, ("tail",), 1), parse=False),
                          _given_file(lambda text: mutated_text(text, ("insert", "truncate"), 1), parse=False)))
    def text(case: tuple[Path, bytes]) -> None:
        stage(case)

    structure()
    text()
    assert all(seen.get(s, 0) >= 2 for s in ("accepted", "parser", "builder", "schema", "semantics")), \
        json.dumps(seen)
