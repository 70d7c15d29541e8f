"""`grade publish LAB -o DIR`: the student edition of a lab, which `grade check -a DIR` grades with.

Theory of operation. Students check their work before handing it in with the lab's visible
tests, run as they will be graded (same scenarios, same sandbox). The edition is an assignment
folder made from the loaded lab, never a copy of its files: what an instructor writes for
instructors (comments in the YAML files, hidden scenarios, mutants, the reference solutions)
cannot come along by accident. It holds:
  * assignment.yaml and scenarios/FILE.yaml, written from the loaded lab: the scenarios it
    ships, in their files and order, without comments;
  * checks written in Python (checks/test_*.py), a file at a time, when every test it holds ships;
  * reference/: the course's programs, which the scenarios run as peers and students do not write
    (a program whose script is not a hand-in file, e.g. lab 4's chat server); for a hand-in
    file, a stand-in (STAND_IN) that says the solution is not there (the loader wants a script
    for every program; no shipped test runs it);
  * student-edition.json (NOTE): the lab, labgrade's version, and how many tests and points are
    left out, which `grade check` announces as graded after the hand-in.
A test is left out when it is not `visible`; when it runs the course's solution of a hand-in
file (`start: {program: server, from: reference}` in a lab where students write server.py:
shipping it would hand out the solution; the instructor is told to script that peer with
`listen:`/`accept:` steps instead); when it requires a test left out (it could not run as it is
graded); and, for a check written in Python, when a test of the same file is left out. The
edition is loaded back before it is kept: it is a lab `grade check` accepts.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import shutil
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from . import __version__
from .assignment import Assignment, Scenario, load_assignment
from .assignment.model import TAGS
from .cache import check_files
from .errors import UsageError
from .i18n import N_, _

if TYPE_CHECKING:
    import pytest

NOTE = "student-edition.json"
STAND_IN = ('"""Not in the student edition: the course\'s solution of {script} stays with the instructor."""\n'
            'raise SystemExit("{script}: the course\'s solution is not in the student edition")\n')
GRADING_INI = Path(__file__).with_name("grading.ini")

HIDDEN = N_("not visible (visibility: {visibility})")
RUNS_SOLUTION = N_("runs the course's solution of {script}, a hand-in file: script that peer with listen:/accept: "
                 "steps to let students run it")
REQUIRES_LEFT_OUT = N_("requires {name!r}, which is left out")
SAME_FILE = N_("is in {file} beside a test left out ({name!r})")
A_PROGRAM = N_("a program ({file} starts one from: reference)")


@dataclass(frozen=True)
class Check:
    """A test written in Python, as pytest collects it with the labgrade plugin."""

    name: str
    path: Path
    points: float
    visibility: str
    requires: tuple[str, ...]


@dataclass(frozen=True)
class Selection:
    """What the edition ships, and why each other test of the lab stays out."""

    scenarios: tuple[Scenario, ...]
    check_files: tuple[Path, ...]
    left_out: dict[str, str]  # test name -> why (HIDDEN, RUNS_SOLUTION...)
    points_left_out: float


def solutions_run(assignment: Assignment, scenario: Scenario) -> list[str]:
    """The hand-in files whose course solution the scenario starts (`start: {..., from: reference}`)."""
    scripts = []
    for step in scenario.steps:
        ((verb, args),) = step.items()
        if verb == "start" and isinstance(args, dict) and args.get("from") == "reference":
            spec = assignment.programs[args["program"]]
            if not spec.provided:
                scripts.append(spec.script)
    return scripts


def starts_a_solution(path: Path) -> bool:
    """A check file that starts a program `from: reference` anywhere (conservative: a literal
    {"from": "reference"} in its source)."""
    return any(isinstance(node, ast.Dict) and any(
        isinstance(k, ast.Constant) and k.value == "from" and isinstance(v, ast.Constant) and v.value == "reference"
        for k, v in zip(node.keys, node.values, strict=True)) for node in ast.walk(ast.parse(path.read_bytes())))


class _Collector:
    """A pytest plugin keeping what the labgrade plugin makes of each collected check."""

    def __init__(self) -> None:
        self.checks: list[Check] = []

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        from .plugin.items import requirements, test_name

        for item in session.items:
            marker = item.get_closest_marker("labgrade")
            if marker is not None:
                self.checks.append(Check(test_name(item), Path(item.path), float(marker.kwargs.get("points", 1)),
                                         str(marker.kwargs.get("visibility", "visible")), requirements(item)))


def collect_checks(assignment: Assignment) -> list[Check]:
    """The lab's checks written in Python, collected as `grade` would run them."""
    import pytest  # only here: `grade` starts without it

    files = check_files(assignment)
    if not files:
        return []
    collector, out = _Collector(), io.StringIO()
    with contextlib.redirect_stdout(out):
        code = pytest.main(["--collect-only", "-q", f"--config-file={GRADING_INI}", f"--rootdir={assignment.root}",
                            "--", *map(str, files)], plugins=[collector])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise UsageError(_("the checks written in Python of {lab} do not collect (pytest exit {code}):").format(
            lab=assignment.root, code=int(code)) + f"\n{out.getvalue()[-2000:]}")
    return collector.checks


def select(assignment: Assignment, checks: list[Check]) -> Selection:
    """The tests the edition ships: see the module's docstring for what stays out."""
    why: dict[str, str] = {}
    for s in assignment.scenarios:
        solutions = solutions_run(assignment, s)
        if s.visibility != "visible":
            why[s.name] = _(HIDDEN).format(visibility=s.visibility)
        elif solutions:
            why[s.name] = _(RUNS_SOLUTION).format(script=solutions[0])
    for c in checks:
        if c.visibility != "visible":
            why[c.name] = _(HIDDEN).format(visibility=c.visibility)
        elif starts_a_solution(c.path):
            why[c.name] = _(RUNS_SOLUTION).format(script=_(A_PROGRAM).format(file=c.path.name))
    requires = {s.name: s.requires for s in assignment.scenarios} | {  # a check may name a scenario in any language
        c.name: tuple(named.name if (named := assignment.scenario_named(r)) else r for r in c.requires)
        for c in checks}
    changed = True
    while changed:  # until nothing more is left out
        changed = False
        for name, needs in requires.items():
            gone = [r for r in needs if r in why]
            if name not in why and gone:
                why[name], changed = _(REQUIRES_LEFT_OUT).format(name=gone[0]), True
        for c in checks:
            beside = [o.name for o in checks if o.path == c.path and o.name in why]
            if c.name not in why and beside:
                why[c.name], changed = _(SAME_FILE).format(file=c.path.name, name=beside[0]), True
    points = sum(s.points for s in assignment.scenarios if s.name in why) + sum(c.points for c in checks
                                                                                if c.name in why)
    shipped_checks = tuple(dict.fromkeys(c.path for c in checks if c.name not in why))
    return Selection(tuple(s for s in assignment.scenarios if s.name not in why), shipped_checks, why, points)


# -- writing the edition --------------------------------------------------------------------

class _Dumper(yaml.SafeDumper):
    """Plain YAML the loader accepts: no anchors, text on several lines as a block."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _text)


def _yaml(value: Any) -> str:
    return yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None)


def scenario_yaml(s: Scenario) -> dict[str, Any]:
    """A scenario as its file would say it, its texts in every language written (visible is the default:
    not written)."""
    feedback = s.written.get("feedback", s.feedback)
    return {"name": s.written.get("name", s.name), "tags": list(s.tags), "points": s.points,
            **({"requires": list(s.requires)} if s.requires else {}), "timeout": s.timeout, "steps": list(s.steps),
            **({"feedback": feedback} if feedback else {})}


def write_edition(assignment: Assignment, selection: Selection, dest: Path) -> None:
    """The edition's files at `dest` (an empty folder)."""
    meta = {"name": assignment.name, "title": assignment.written.get("title", assignment.title),
            "reference": "reference",
            "handin": list(assignment.handin),
            **({"tags": own} if (own := [t for t in assignment.tags if t not in TAGS]) else {}),  # the lab's own
            "programs": {n: {"argv": list(p.argv), "kind": p.kind} for n, p in assignment.programs.items()},
            "limits": asdict(assignment.limits), **({"language": assignment.language} if assignment.language else {})}
    (dest / "assignment.yaml").write_text(f"# The student edition of {assignment.name} (grade publish).\n"
                                          + _yaml(meta), encoding="utf-8")
    (dest / "scenarios").mkdir()
    for path in dict.fromkeys(s.path for s in selection.scenarios):
        shipped = [scenario_yaml(s) for s in selection.scenarios if s.path == path]
        (dest / "scenarios" / f"{path.stem}.yaml").write_text(_yaml(shipped), encoding="utf-8")
    for path in selection.check_files:
        target = dest / path.relative_to(assignment.root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    for p in assignment.programs.values():
        target = dest / "reference" / p.script
        target.parent.mkdir(parents=True, exist_ok=True)
        if p.provided:  # the course's program: a peer students do not write
            shutil.copyfile(assignment.reference_file(p.script), target)
        else:
            target.write_text(STAND_IN.format(script=p.script), encoding="utf-8")
    note = {"assignment": assignment.name, "labgrade": __version__,
            "left_out": {"tests": len(selection.left_out), "points": selection.points_left_out}}
    (dest / NOTE).write_text(json.dumps(note, indent=1) + "\n", encoding="utf-8")


def left_out_of(folder: Path) -> tuple[int, float] | None:
    """How many tests, and points, an edition leaves out (None: the folder is not an edition)."""
    try:
        note = json.loads((folder / NOTE).read_text(encoding="utf-8"))
        return int(note["left_out"]["tests"]), float(note["left_out"]["points"])
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as e:
        raise UsageError(_("{file}: not a student edition's note ({error!r}): publish the lab again").format(
            file=folder / NOTE, error=e)) from None


def publish(assignment: Assignment, out: Path) -> Selection:
    """Write the student edition of `assignment` into `out` (absent or empty), checked by loading it back."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(_("{folder} already exists and is not an empty folder: remove it or give another -o").format(
            folder=out))
    selection = select(assignment, collect_checks(assignment))
    if not selection.scenarios:
        raise UsageError(_("{lab} has no scenario students may run (visible, and not running the course's solution "
                           "of a hand-in file): nothing to publish").format(lab=assignment.name))
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".labgrade-edition-", dir=out.parent) as tmp:
        staged = Path(tmp) / "edition"
        staged.mkdir()
        write_edition(assignment, selection, staged)
        edition = load_assignment(staged)
        same = [scenario_yaml(s) for s in edition.scenarios] == [scenario_yaml(s) for s in selection.scenarios]
        if not same:  # a bug of ours, not the instructor's: never hand out a lab that grades differently
            raise UsageError(_("the student edition of {lab} does not load back the same scenarios").format(
                lab=assignment.root))
        with contextlib.suppress(FileNotFoundError):
            out.rmdir()
        staged.rename(out)
    return selection
