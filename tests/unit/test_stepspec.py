"""The scenario language is one table (grader/driver/stepspec.py): the schema's steps, the README's
and docs/scenarios.md's step tables are what it gives, the driver dispatches by it, and a step sent
by a check written in Python is checked against it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.assignment.language import BEGIN, END, generated, main, step_schema, with_table
from grader.assignment.load import load_assignment
from grader.driver import i18n
from grader.driver.__main__ import check_step
from grader.driver.stepcheck import problem
from grader.driver.steps import STEPS, Runner
from grader.driver.stepspec import STEPS as SPECS
from grader.driver.stepspec import VERBS, with_key
from grader.errors import AssignmentError

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def english() -> None:
    i18n.use("en")


@pytest.mark.parametrize("path", ["grader/assignment/schema/scenarios.schema.json", "README.md",
                                  "docs/scenarios.md"])
def test_the_committed_file_is_what_the_table_gives(path: str) -> None:
    made = generated()[REPO / path]
    assert (REPO / path).read_text(encoding="utf-8") == made, \
        f"{path} differs from grader/driver/stepspec.py: run python -m grader.assignment.language"
    assert main(["--check"]) == 0


def test_every_verb_is_in_the_schema_with_its_keys_and_required_ones() -> None:
    schema = json.loads((REPO / "grader/assignment/schema/scenarios.schema.json").read_text())["$defs"]["step"]
    assert schema == step_schema()
    assert schema["propertyNames"]["enum"] == list(SPECS)
    for verb, spec in SPECS.items():
        assert list(schema["properties"][verb]["properties"]) == [a.name for a in spec.args] + list(spec.aliases)
        assert schema["properties"][verb]["required"] == [k for k in spec.required if k not in spec.aliases.values()]
        assert ("string" in schema["properties"][verb]["type"]) == spec.short


def test_the_docs_table_lists_every_step_once_between_its_markers() -> None:
    page = (REPO / "docs" / "scenarios.md").read_text(encoding="utf-8")
    table = page.split(BEGIN, 1)[1].split(END, 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(SPECS)
    assert "| `connect` | `connect: NAME` | **`as`**, `each`," in table
    assert "| `start` | `start: PROGRAM` | **`program`**," in table


def test_a_table_is_replaced_between_its_markers_only() -> None:
    text = f"before\n{BEGIN}\nold table\n{END}\nafter\n"
    assert with_table(text, "| new |") == f"before\n{BEGIN}\n| new |\n{END}\nafter\n"


def test_the_driver_dispatches_every_verb_by_the_table() -> None:
    assert frozenset(SPECS) == STEPS
    assert Runner.VERBS == VERBS
    assert all(callable(getattr(Runner, spec.method, None)) for spec in SPECS.values())
    assert VERBS["connect"] == "as" and VERBS["start"] == "program" and "accept" not in VERBS
    assert with_key("connect", "alice") == {"as": "alice"}
    assert with_key("accept", {"as": "x", "of": "l"}) == {"as": "x", "of": "l"}


@pytest.mark.parametrize(("step", "message"), [
    ({"conect": "alice"}, "unknown step 'conect': did you mean 'connect'? (the steps: accept, check_stderr,"),
    ({"send": {"as": "alice", "dat": "hi"}}, "step 'send' has no key 'dat': did you mean 'data'? (its keys: as, "
                                             "each, within, data, random, pieces, cut, random_text)"),
    ({"accept": {"as": "alice"}}, "step 'accept' needs the key of"),
    ({"session": {"each": 2}}, "step 'session' needs the keys as, data"),
    ({"send": {"as": "alice", "data": "a", "random": 3}}, "step 'send' needs exactly one of: data, random, "
                                                          "random_text, pieces"),
    ({"connect": {"as": "alice", "each": "2"}}, "step 'connect': each: '2' is not a value this key takes"),
    ({"expect_closed": {"as": "alice", "how": "rst"}}, "step 'expect_closed': how: 'rst' is not a value"),
    ({"accept": "alice"}, "step 'accept' takes a mapping of its keys (as, of, within), got alice"),
    (["connect", "alice"], "a step is a mapping with one key, the verb: got ['connect', 'alice']"),
])
def test_a_step_sent_by_a_check_is_checked_against_the_table(step: object, message: str) -> None:
    assert (problem(step) or "").startswith(message)
    with pytest.raises(ValueError) as e:
        check_step(step)
    assert str(e.value).startswith(message)


@pytest.mark.parametrize("step", [
    {"connect": "alice"}, {"start": {"program": "server", "from": "reference"}}, {"stop": "server"},
    {"send": {"as": "alice", "data": "hi\n", "within": 2}},
    {"probe": {"measure": "fds", "of": "s", "at_most": "x + 1"}},
    {"expect_blocked": {"of": "server", "in": ["select"]}}, {"wait_exit": {"of": "client", "code": 0}},
])
def test_a_good_step_passes(step: dict[str, object]) -> None:
    assert problem(step) is None
    check_step(step)


def lab(tmp_path: Path, steps: str) -> Path:
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "server.py").write_text("")
    (tmp_path / "assignment.yaml").write_text("name: l\nreference: ref\nprograms:\n  server: {argv: [server.py, "
                                              "\"{port}\"], kind: server}\n")
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "s.yaml").write_text(f"- name: s\n  tags: [protocol]\n  points: 1\n  steps:\n{steps}")
    return tmp_path


@pytest.mark.parametrize(("steps", "message"), [
    # every kind of name the table defines, then refers to: all known
    ("    - start: server\n    - listen: l\n    - accept: {as: a, of: l}\n    - connect: {as: 'c{i}', each: 2}\n"
     "    - fill_queue: {as: 'q{i}', save: n}\n    - probe: {measure: fds, of: server, save: m}\n"
     "    - send: {as: c2, data: x}\n    - expect: {as: a, sent_by: q7}\n    - flood: {as: c1, hold: [c1, q3]}\n"
     "    - compare: {saved: n, at_most: m}\n    - compare: {saved: server_backlog, equals: 16}\n"
     "    - wait_exit: server\n", None),
    ("    - start: server\n    - connect: {as: 'c{i}', each: 2}\n    - send: {as: 'c{i}', each: 3, data: x}\n",
     "no client named 'c3' was connected by an earlier step"),
    ("    - start: server\n    - connect: alice\n    - expect: {as: alice, sent_by: bob}\n",
     "sent_by: no client named 'bob' was connected by an earlier step"),
    ("    - start: server\n    - connect: alice\n    - flood: {as: alice, hold: [alice, bob]}\n",
     "hold: no client named 'bob' was connected by an earlier step"),
    ("    - listen: l\n    - accept: {as: a, of: m}\n", "no listener named 'm' was started by an earlier step"),
    ("    - start: server\n    - probe: {measure: backlog, of: nobody}\n",
     "no server named 'nobody' was started by an earlier step"),
    ("    - start: {program: server, as: s}\n    - type: {into: server, data: x}\n",
     "no program named 'server' was started by an earlier step"),
])
def test_the_loader_checks_names_as_the_table_says(tmp_path: Path, steps: str, message: str | None) -> None:
    folder = lab(tmp_path, steps)
    if message is None:
        assert len(load_assignment(folder).scenarios[0].steps) == steps.count("- ")
        return
    with pytest.raises(AssignmentError) as e:
        load_assignment(folder)
    assert str(e.value).endswith(message), str(e.value)
