"""Each key of the scenario language has one role, and every older spelling is declared once, in
grader/driver/stepspec.py: the schema accepts it (marked deprecated), the loader and a check
written in Python take it as the key it stands for, and giving both is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.assignment.load import load_assignment
from grader.driver import i18n, syscalls
from grader.driver.measure_steps import MeasureSteps
from grader.driver.runner import UNITS
from grader.driver.stepcheck import problem
from grader.driver.stepspec import MEASURES, STEPS, SYSCALLS, with_key
from grader.errors import AssignmentError
from tests.unit.test_stepspec import lab

REPO = Path(__file__).resolve().parents[2]
ALIASES = [(verb, old, key) for verb, spec in STEPS.items() for old, key in spec.aliases.items()]
# a step of each verb with an older spelling, as the table spells it, after `start: server`
NOW = {"type": {"of": "server", "data": "x"}, "check_stderr": {"of": "server", "at_least": 1, "at_most": 2}}


@pytest.fixture(autouse=True)
def english() -> None:
    i18n.use("en")


def test_the_older_spellings_are_these() -> None:
    assert ALIASES == [("type", "into", "of"), ("check_stderr", "min_lines", "at_least"),
                       ("check_stderr", "max_lines", "at_most")]


@pytest.mark.parametrize(("verb", "old", "key"), ALIASES)
def test_the_schema_takes_an_older_spelling_as_deprecated(verb: str, old: str, key: str) -> None:
    schema = json.loads((REPO / "grader/assignment/schema/scenarios.schema.json").read_text())
    keys = schema["$defs"]["step"]["properties"][verb]["properties"]
    assert keys[old] == {**keys[key], "deprecated": True, "description": f"older spelling of `{key}`"}


def older(step: dict[str, object], verb: str) -> dict[str, object]:
    """The step with each key that has an older spelling written in it."""
    back = {key: old for old, key in STEPS[verb].aliases.items()}
    return {back.get(k, k): v for k, v in step.items()}


@pytest.mark.parametrize("verb", sorted(NOW))
def test_a_step_in_older_spellings_loads_as_the_key_it_stands_for(tmp_path: Path, verb: str) -> None:
    written = older(NOW[verb], verb)
    assert written != NOW[verb] and set(written) & set(STEPS[verb].aliases)
    folder = lab(tmp_path, f"    - start: server\n    - {verb}: {json.dumps(written)}\n")
    (_start, step) = load_assignment(folder).scenarios[0].steps
    assert step == {verb: written}  # kept as written: the feedback names the step as the lab wrote it
    assert with_key(verb, written) == NOW[verb]  # what the driver and the loader's checks read
    assert problem({verb: written}) is None and problem({verb: NOW[verb]}) is None


@pytest.mark.parametrize(("verb", "old", "key"), ALIASES)
def test_a_key_in_both_spellings_is_refused(tmp_path: Path, verb: str, old: str, key: str) -> None:
    both = {**NOW[verb], old: NOW[verb][key]}
    folder = lab(tmp_path, f"    - start: server\n    - {verb}: {json.dumps(both)}\n")
    with pytest.raises(AssignmentError) as e:
        load_assignment(folder)
    said = f"s.yaml:6: scenario \"s\", step 2 ({verb}): {old!r} is the older spelling of {key!r}: keep only {key!r}"
    assert str(e.value).endswith(said)
    assert problem({verb: both}) == f"step {verb!r}: {old!r} is the older spelling of {key!r}: keep only {key!r}"


@pytest.mark.parametrize(("steps", "message"), [
    ("    - start: {program: server, save: b}\n    - compare: {saved: b, equals: 16}\n", None),
    ("    - start: server\n    - compare: {saved: server_backlog, equals: 16}\n", None),  # the older, implicit name
    ("    - start: {program: server, as: s}\n    - compare: {saved: s_backlog, equals: 16}\n", None),
    ("    - start: {program: server, save: b}\n    - compare: {saved: server_backlog, equals: 16}\n",
     "no measure named 'server_backlog' was saved by an earlier step"),  # an explicit save: that name only
    ("    - start: {program: client, save: b}\n",
     "`save:` keeps a server's listen backlog, and 'client' is a client (assignment.yaml: `kind: client`): "
     "remove `save:`"),
    ("    - start: server\n    - type: {data: x}\n", "missing required key 'of'"),
    ("    - start: server\n    - check_stderr: {of: server, at_mots: 1}\n", "unknown key 'at_mots': did you mean "
     "'at_most'? (expected one of: of, at_least, at_most, traceback)"),  # the older spellings are not offered
])
def test_start_saves_a_servers_backlog_under_save(tmp_path: Path, steps: str, message: str | None) -> None:
    folder = lab(tmp_path, steps)
    (folder / "ref" / "client.py").write_text("")
    meta = folder / "assignment.yaml"
    meta.write_text(meta.read_text() + "  client: {argv: [client.py, \"{port}\"], kind: client}\n")
    if message is None:
        assert len(load_assignment(folder).scenarios[0].steps) == 2
        return
    with pytest.raises(AssignmentError) as e:
        load_assignment(folder)
    assert str(e.value).endswith(message), str(e.value)


def test_measures_and_system_calls_are_named_once() -> None:
    assert MeasureSteps.UNITS is MEASURES
    assert all(unit in UNITS for measure, unit in MEASURES.items() if measure != "backlog")  # backlog: said apart
    assert STEPS["probe"].keys["measure"].schema["enum"] == list(MEASURES)
    assert STEPS["expect_blocked"].keys["in"].schema["items"]["enum"] == list(SYSCALLS)
    assert {call: syscalls.family(call) for calls in SYSCALLS.values() for call in calls} == syscalls.FAMILIES
    assert all(syscalls.family(name) == name for name in SYSCALLS)
    assert syscalls.family("pselect6") == "select" and syscalls.family("clock_nanosleep") == "sleep"
