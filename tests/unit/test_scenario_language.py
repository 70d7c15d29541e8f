"""The parts of the scenario language added for labs 3-5: any-order lines, syscall reading,
and what the loader checks about listeners, queues and saved measures."""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.driver.matching import MATCHED, MISMATCH, PENDING, match_lines
from grader.driver.syscalls import family, parse_syscall
from grader.errors import AssignmentError

LINES = [b"line from 2\n", b"line from 3\n", b"line from 3\n", b"line from 4\n"]


def test_lines_match_in_any_order_and_any_split() -> None:
    rng = random.Random(7)
    for _ in range(20):
        order = LINES[:]
        rng.shuffle(order)
        data = b"".join(order)
        for cut in range(len(data)):
            assert match_lines(LINES, data[:cut]).state == PENDING
        assert match_lines(LINES, data) == match_lines(LINES, data + b"extra")
        assert match_lines(LINES, data).consumed == len(data)


def test_an_unexpected_line_is_a_mismatch_at_its_start() -> None:
    data = b"line from 2\nline from 1\n"
    m = match_lines(LINES, data)
    assert m.state == MISMATCH and m.offset == len(b"line from 2\n")


def test_a_line_expected_once_but_received_twice_is_a_mismatch() -> None:
    assert match_lines([b"a\n", b"b\n"], b"a\na\n").state == MISMATCH
    assert match_lines([b"a\n", b"a\n"], b"a\na\n").state == MATCHED


@pytest.mark.parametrize(("text", "machine", "expected"), [
    ("270 0x4 0x7ffd 0x0 0x0 0x0 0x0 0x7ffd 0x7f", "x86_64", ("pselect6", 4)),
    ("0 0x0 0x55d 0x400 0x0 0x0 0x0 0x7ffd 0x7f", "x86_64", ("read", 0)),
    ("73 0x3 0x1 0x0 0x0 0x8 0x0 0x7ffd 0x7f", "aarch64", ("ppoll", 3)),
    ("999 0x1 0x2", "x86_64", ("syscall 999", 1)),
    ("running", "x86_64", None),
    ("-1 0x7ffd 0x7f", "x86_64", None),
])
def test_parse_syscall(text: str, machine: str, expected: tuple[str, int] | None) -> None:
    assert parse_syscall(text, machine) == expected


def test_families_name_what_the_student_wrote() -> None:
    assert family("pselect6") == "select" and family("ppoll") == "poll" and family("epoll_pwait") == "epoll"
    assert family("read") == "read"


def lab(tmp_path: Path, steps: str) -> Path:
    (tmp_path / "ref").mkdir()
    (tmp_path / "ref" / "client.py").write_text("")
    (tmp_path / "ref" / "server.py").write_text("")
    (tmp_path / "assignment.yaml").write_text(textwrap.dedent("""\
        name: mini
        reference: ref
        programs:
          server: {argv: [server.py, "{port}"], kind: server}
          client: {argv: [client.py, "{host}", "{port}"], kind: client}
        """))
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "s.yaml").write_text("- name: s\n  tags: [queue]\n  points: 1\n  steps:\n" + steps)
    return tmp_path


def test_a_queue_scenario_loads(tmp_path: Path) -> None:
    steps = """\
    - start: {program: server, from: reference, as: ref, args: [3]}
    - listen: srv
    - start: {program: client, as: cli, to: srv}
    - accept: {as: peer, of: srv}
    - fill_queue: {as: "q{i}", to: ref, save: capacity}
    - close: q7
    - compare: {saved: capacity, equals: ref_backlog + 1}
    - probe: {measure: backlog, of: ref, equals: 3}
    - expect_blocked: {of: cli, in: [select, poll]}
    - probe: {measure: cpu_ms, of: cli, over: 0.5, at_most: 50}
"""
    assert len(load_assignment(lab(tmp_path, steps)).scenarios) == 1


@pytest.mark.parametrize(("steps", "message"), [
    ("    - accept: {as: peer, of: srv}\n", "no listener named 'srv'"),
    ("    - start: {program: client, to: nowhere}\n", "no server named 'nowhere'"),
    ("    - compare: {saved: capacity, equals: 3}\n", "no measure named 'capacity'"),
    ("    - listen: srv\n    - probe: {measure: backlog, of: cli, equals: 1}\n", "no server named 'cli'"),
    ("    - fill_queue: {as: q, to: x}\n", "does not match"),
    ("    - start: server\n    - expect_blocked: {of: server, in: [selec]}\n", "'selec' is not allowed here"),
    ("    - start: server\n    - connect: {as: \"c{i}\", each: 2}\n    - expect: {as: \"c{i}\", others: \"x\"}\n",
     "`others:` needs `each: N`"),
])
def test_references_are_checked(tmp_path: Path, steps: str, message: str) -> None:
    with pytest.raises(AssignmentError) as e:
        load_assignment(lab(tmp_path, steps))
    assert message in str(e.value)
    assert f"{tmp_path / 'scenarios' / 's.yaml'}:" in str(e.value)


# -- the language of exact grading: output modes, pieces, floods, prerequisites, hand-in files ------

def test_exact_grading_steps_load(tmp_path: Path) -> None:
    steps = """\
    - start: server
    - listen: srv
    - start: {program: client, as: cli, to: srv}
    - accept: {as: peer, of: srv}
    - send: {as: peer, data: "café\\n", cut: [4]}
    - send: {as: peer, pieces: ["a", "b\\n"]}
    - type: {into: cli, pieces: ["one\\n", "two\\n"]}
    - expect_output: {of: cli, contains: "one"}
    - expect_output: {of: cli, match: "(?i).*closed.*"}
    - expect_output: {of: cli, end: true, allow: ".+"}
    - connect: {as: c1, receive_buffer: 4096}
    - connect: c2
    - flood: {as: c1, hold: [c2], lines: true, max: 100000}
    - expect: {as: c2, sent_by: c1}
    - expect_silence: c2
    - expect_closed: {as: c1, how: reset}
"""
    (scenario,) = load_assignment(lab(tmp_path, steps)).scenarios
    assert len(scenario.steps) == 16


@pytest.mark.parametrize(("steps", "message"), [
    ("    - start: server\n    - connect: c1\n    - send: {as: c1, data: \"abc\", cut: [3]}\n",
     "cut: [3] must be increasing byte offsets inside data (3 bytes)"),
    ("    - start: server\n    - connect: c1\n    - send: {as: c1, data: \"abcdef\", cut: [4, 2]}\n",
     "must be increasing"),
    ("    - start: server\n    - connect: c1\n    - send: {as: c1, random: 10, cut: [4]}\n",
     "`cut:` cuts `data:` into pieces: give `data:`"),
    ("    - start: client\n    - expect_output: {of: client, match: \"(unclosed\"}\n",
     "match: '(unclosed' is not a regular expression"),
    ("    - start: client\n    - expect_output: {of: client, data: \"x\", allow: \".+\"}\n",
     "`allow:` goes with `end: true`"),
    ("    - start: client\n    - expect_output: {of: client, data: \"x\", contains: \"y\"}\n",
     "needs exactly one of: data, contains, match, end"),
    ("    - start: server\n    - connect: c1\n    - flood: {as: c1, hold: [c9]}\n",
     "hold: no client named 'c9' was connected"),
    ("    - start: server\n    - connect: c1\n    - expect: {as: c1, sent_by: nobody}\n",
     "sent_by: no client named 'nobody'"),
    ("    - start: server\n    - connect: c1\n    - expect_closed: {as: c1, how: rst}\n",
     "'rst' is not allowed here: did you mean 'reset'? (expected one of: close, reset, any)"),
])
def test_exact_grading_mistakes_are_named(tmp_path: Path, steps: str, message: str) -> None:
    with pytest.raises(AssignmentError) as e:
        load_assignment(lab(tmp_path, steps))
    assert message in str(e.value)


def two_scenarios(tmp_path: Path, first: str, second: str) -> Path:
    folder = lab(tmp_path, "    - start: server\n")
    (folder / "scenarios" / "s.yaml").write_text(textwrap.dedent(f"""\
        - name: gate
          tags: [concurrency]
          points: 1
          {first}
          steps: [start: server]
        - name: after
          tags: [cleanup]
          points: 1
          {second}
          steps: [start: server]
        """))
    return folder


def test_requires_names_scenarios_of_the_lab(tmp_path: Path) -> None:
    loaded = load_assignment(two_scenarios(tmp_path, "", "requires: [gate]"))
    assert [s.requires for s in loaded.scenarios] == [(), ("gate",)]


@pytest.mark.parametrize(("first", "second", "message"), [
    ("", "requires: [gates]", "requires 'gates', which no scenario of the assignment is called"),
    ("", "requires: [after]", 'scenario "after": requires itself'),
    ("requires: [after]", "requires: [gate]", "requires make a loop: gate -> after -> gate"),
])
def test_requires_mistakes_are_named(tmp_path: Path, first: str, second: str, message: str) -> None:
    with pytest.raises(AssignmentError) as e:
        load_assignment(two_scenarios(tmp_path, first, second))
    assert message in str(e.value) and f"{tmp_path / 'scenarios' / 's.yaml'}:" in str(e.value)


def test_a_program_that_is_not_handed_in_is_the_courses(tmp_path: Path) -> None:
    folder = lab(tmp_path, "    - start: server\n    - start: client\n"
                           "    - start: {program: server, from: reference}\n")
    meta = folder / "assignment.yaml"
    meta.write_text(meta.read_text().replace("reference: ref\n", "reference: ref\nhandin: [server.py]\n"))
    loaded = load_assignment(folder)
    assert loaded.handin == ("server.py",)
    assert {n: p.provided for n, p in loaded.programs.items()} == {"server": False, "client": True}
    # the hand-in files a scenario runs: the student's server, not the course's client nor the reference
    assert loaded.student_scripts(loaded.scenarios[0]) == ("server.py",)


def test_without_handin_every_program_is_handed_in(tmp_path: Path) -> None:
    loaded = load_assignment(lab(tmp_path, "    - start: server\n"))
    assert loaded.handin == ("server.py", "client.py")
    assert not any(p.provided for p in loaded.programs.values())


def test_the_driver_and_the_schema_know_the_same_steps() -> None:
    from grader.assignment.validation import schema
    from grader.driver.steps import STEPS, Runner

    assert set(schema("scenarios")["$defs"]["step"]["propertyNames"]["enum"]) == STEPS
    assert all(callable(getattr(Runner, verb, None)) for verb in STEPS)
    assert set(Runner.VERBS) <= STEPS
