"""Scenario files as test items, and what every test (a scenario or a check written in Python) is
reported and required by: its name in the run's language, its names in all, the tests it requires
and the order that follows from them.

PYTEST_DONT_REWRITE: a plugin module (see __init__.py), imported before pytest registers it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from ..assignment import Assignment, Scenario
from ..assignment.model import Text, pick, versions
from ..errors import AssignmentError, GraderError
from ..findings import not_run
from ..handin import SubmissionUnusable
from ..i18n import _, current
from ..results import TestResult
from ..run import grade_scenario
from .session import GRADING


def _marker_name(item: pytest.Item) -> Text | None:
    """A check's `name=`: plain, or {language: name}, as a scenario's."""
    marker = item.get_closest_marker("labgrade")
    name: Text | None = marker.kwargs.get("name") if marker else None
    return name


def test_name(item: pytest.Item) -> str:
    """The name a test is reported (and required) by, in the language of the run."""
    if isinstance(item, ScenarioItem):
        return item.scenario.name
    name = _marker_name(item)
    if isinstance(name, Mapping):
        if current() not in name:
            raise pytest.UsageError(f"{item.path}:{(item.location[1] or 0) + 1}: the check's name= is written in "
                                    f"{', '.join(name)}, not in {current()}: grade with --lang {next(iter(name))} "
                                    f"or add the {current()} name")
        return pick(name, current())
    doc = (getattr(getattr(item, "function", None), "__doc__", None) or "").strip()
    return str(name or (doc.splitlines()[0] if doc else item.name))


def test_names(item: pytest.Item) -> tuple[str, ...]:
    """Every name a test answers to (requires=, --labgrade-scenario): its name in each of its languages."""
    if isinstance(item, ScenarioItem):
        return item.scenario.names
    name = _marker_name(item)
    return tuple(dict.fromkeys([test_name(item), *(versions(name) if name else ())]))


def requirements(item: pytest.Item) -> tuple[str, ...]:
    """The names of the tests `item` requires, as the run names them (in its language)."""
    if isinstance(item, ScenarioItem):
        return item.scenario.requires
    marker = item.get_closest_marker("labgrade")
    aliases = item.config.stash[GRADING].aliases
    return tuple(aliases.get(n, n) for n in marker.kwargs.get("requires", ())) if marker else ()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = set(config.getoption("labgrade_scenarios") or ())
    dropped = [i for i in items if isinstance(i, ScenarioItem) and wanted and not wanted & set(i.scenario.names)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]
    config.stash[GRADING].aliases = {alias: test_name(i) for i in items for alias in test_names(i)}
    # what a test requires runs before it (the order is otherwise kept)
    by_name = {test_name(i): i for i in items}
    ordered: list[pytest.Item] = []
    placed: set[int] = set()

    def place(item: pytest.Item) -> None:
        if id(item) in placed:
            return
        placed.add(id(item))
        for name in requirements(item):
            if name in by_name:
                place(by_name[name])
        ordered.append(item)

    for item in list(items):
        place(item)
    items[:] = ordered


def unmet(outcomes: Mapping[str, TestResult], item: pytest.Item) -> tuple[str, bool] | None:
    """(why, grader error?) when a test must not run because a test it requires did not pass."""
    for name in requirements(item):
        got = outcomes.get(name)
        if got is None:
            continue  # not graded in this session (deselected): nothing to go by
        if got.error:
            return _("requires '{name}', which the grader could not grade").format(name=name), True
        if got.status != "passed":
            return _("requires '{name}', which did not pass").format(name=name), False
    return None

def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix in (".yaml", ".yml") and file_path.parent.name == "scenarios" \
            and (file_path.parent.parent / "assignment.yaml").is_file():
        return ScenarioFile.from_parent(parent, path=file_path)
    if file_path.name == "assignment.yaml" and (file_path.parent / "scenarios").is_dir():
        return AssignmentFile.from_parent(parent, path=file_path)
    return None


def _load(collector: pytest.File, folder: Path) -> Assignment | None:
    """The assignment, or a collection error without traceback. The full `file:line: message` comes
    from the collector of the file at fault: a scenario file's own, assignment.yaml's for the other
    problems (assignment.yaml itself, the reference, no scenarios); the other scenario files say in
    one line that they were not collected, and assignment.yaml's stays quiet (None)."""
    try:
        return collector.config.stash[GRADING].assignment(folder)
    except AssignmentError as e:
        in_scenario_file = e.path.parent.name == "scenarios" and e.path.suffix in (".yaml", ".yml")
        at_fault = e.path if in_scenario_file else folder / "assignment.yaml"
        if at_fault.resolve() == collector.path.resolve():
            raise collector.CollectError(str(e)) from None
        if isinstance(collector, ScenarioFile):
            raise collector.CollectError(f"not collected, the assignment does not load: {str(e).splitlines()[0]}") \
                from None
        return None
    except GraderError as e:
        raise collector.CollectError(str(e)) from None


class AssignmentFile(pytest.File):
    """assignment.yaml holds no test, but reports the assignment's problems found outside its scenario files."""

    def collect(self) -> list[pytest.Item]:
        _load(self, self.path.parent)
        return []


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[ScenarioItem]:
        assignment = _load(self, self.path.parent.parent)
        for scenario in assignment.scenarios if assignment else ():
            if scenario.path == self.path:
                yield ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario, assignment=assignment)


class ScenarioFailed(Exception):
    def __init__(self, result: TestResult) -> None:
        super().__init__(result.output)
        self.result = result


class ScenarioItem(pytest.Item):
    def __init__(self, *, scenario: Scenario, assignment: Assignment, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario, self.assignment = scenario, assignment
        self.add_marker(pytest.mark.timeout(scenario.timeout + 60))  # the backstop only
        for tag in scenario.tags:
            self.add_marker(tag)

    def runtest(self) -> None:
        grading = self.config.stash[GRADING]
        s = self.scenario
        ahead = grading.ahead.future(self) if grading.ahead else None
        result = ahead.result() if ahead else self.grade(grading.outcomes)
        self.user_properties.append(("labgrade", result))
        grading.outcomes[s.name] = result
        if result.status != "passed":
            raise ScenarioFailed(result)

    def grade(self, outcomes: Mapping[str, TestResult]) -> TestResult:
        """Grade the scenario (`outcomes`: the results of the tests it requires, by name); from
        any thread once the submission is staged."""
        grading = self.config.stash[GRADING]
        s = self.scenario
        blank = TestResult(s.name, s.tags, 0.0, s.points, "failed", "", s.visibility)
        try:
            staged = grading.staged(self.assignment)
        except SubmissionUnusable as e:  # the student's fault (too many files...): 0 and why, not a grader error
            return TestResult(s.name, s.tags, 0.0, s.points, "failed", f"{str(e)[:1].upper()}{str(e)[1:]}",
                              s.visibility)
        missing = staged.unavailable(self.assignment.student_scripts(s))
        blocked = unmet(outcomes, self)
        if missing:
            return not_run(blank, missing)
        if blocked:
            return not_run(blank, *blocked)
        return grade_scenario(grading.sandbox, self.assignment, s, staged.folder, staged.handin.files,
                              self.config.getoption("labgrade_transcripts"))[0]

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailed):
            return excinfo.value.result.output
        if isinstance(excinfo.value, GraderError):
            return _("grader error: {message}").format(message=excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario: {self.scenario.name}"

