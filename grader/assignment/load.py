"""Load an assignment folder: YAML with line marks -> JSON Schema -> semantic checks -> model.

Every problem becomes an AssignmentError naming the file and line and what was expected;
all the problems of one file are reported together (in the order of their lines). No other
exception escapes, whatever the files hold: tests/unit/test_assignment_fuzz.py checks that.
The schema and its messages: validation.py; the checks of the steps: step_checks.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..driver.i18n import LANGUAGES, _
from ..errors import AssignmentError, UsageError
from ..text import closest, did_you_mean
from .model import TAGS, Assignment, Limits, ProgramSpec, Scenario, Text, versions
from .shared import load_shared
from .step_checks import check_steps
from .validation import _short, _where, validate
from .yamlfile import Lines, load_yaml

__all__ = ["find_assignment", "list_labs", "load_assignment", "load_yaml", "read_checked", "validate"]


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
