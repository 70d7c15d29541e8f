"""Loading assignments: real YAML files on disk, real parsing, errors as `file:line: message`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from grader.assignment import find_assignment, load_assignment
from grader.assignment.load import read_checked
from grader.assignment.model import TAGS
from grader.assignment.validation import schema
from grader.errors import AssignmentError, UsageError
from grader.mutants import mutants_of

ROOT = Path(__file__).resolve().parents[2]
LABS = ["echo-iterative", "echo-concurrent"]

ASSIGNMENT_YAML = """\
name: mini
reference: ref
programs:
  server: {argv: [server.py, "{port}"], kind: server}
  client: {argv: [client.py, "{host}", "{port}"], kind: client}
"""

BASIC_YAML = """\
- name: server echoes one line
  tags: [protocol]
  points: 2
  steps:
    - start: server
    - connect: alice
    - send: {as: alice, data: "hi\\n"}
    - expect: {as: alice, data: "hi\\n"}
    - close: alice
  feedback: >
    Loop on recv()
    and sendall().
"""

# Five lines; a step appended to it is on line 6.
HEAD = """\
- name: x
  tags: [protocol]
  points: 2
  steps:
    - start: server
"""


def make_assignment(root: Path, scenarios: dict[str, str] | None = None, meta: str = ASSIGNMENT_YAML,
                    scripts: tuple[str, ...] = ("server.py", "client.py")) -> Path:
    """A lab folder: assignment.yaml, ref/ with the reference scripts, scenarios/*.yaml."""
    root = root.resolve()
    (root / "ref").mkdir(parents=True)
    for script in scripts:
        (root / "ref" / script).write_text("# reference\n")
    (root / "scenarios").mkdir()
    (root / "assignment.yaml").write_text(meta, encoding="utf-8")
    for name, text in ({"basic.yaml": BASIC_YAML} if scenarios is None else scenarios).items():
        (root / "scenarios" / name).write_text(text, encoding="utf-8")
    return root


def load_error(folder: Path) -> str:
    with pytest.raises(AssignmentError) as excinfo:
        load_assignment(folder)
    return str(excinfo.value)


def test_minimal_assignment_loads(tmp_path: Path) -> None:
    folder = make_assignment(tmp_path / "mini")
    a = load_assignment(folder)
    assert (a.name, a.title, a.root, a.reference) == ("mini", "mini", folder, folder / "ref")
    assert a.programs["server"].argv == ("server.py", "{port}")
    assert (a.programs["server"].kind, a.programs["client"].kind) == ("server", "client")
    (s,) = a.scenarios
    assert (s.name, s.tags, s.points, s.visibility, s.timeout) == ("server echoes one line", ("protocol",), 2.0,
                                                                   "visible", 30.0)
    assert s.steps[0] == {"start": "server"}
    assert s.steps[2] == {"send": {"as": "alice", "data": "hi\n"}}
    assert len(s.steps) == 5
    assert s.feedback == "Loop on recv() and sendall()."
    assert (s.path, s.line) == (folder / "scenarios" / "basic.yaml", 1)
    assert a.max_score == 2.0


@pytest.mark.parametrize("lab", LABS)
def test_real_lab_loads(lab: str) -> None:
    a = load_assignment(ROOT / "assignments" / lab)
    assert a.name == lab
    assert len(a.scenarios) > 0
    assert {t for s in a.scenarios for t in s.tags} <= set(TAGS)
    names = [s.name for s in a.scenarios]
    assert len(names) == len(set(names))
    assert all(s.points > 0 and s.line > 0 and s.path.parent == a.root / "scenarios" for s in a.scenarios)
    assert all(a.reference_file(p.script).is_file() for p in a.programs.values())


# (scenario file text, line the error must name, a substring of the message)
BROKEN_SCENARIOS = {
    # PyYAML notices the unclosed bracket where the next key starts (line 3), not where it opened.
    "malformed-yaml": ("- name: x\n  tags: [protocol\n  points: 2\n", 3, "not valid YAML"),
    "duplicate-key": (HEAD.replace("  points: 2\n", "  points: 2\n  points: 3\n"), 4, "duplicate key 'points'"),
    "mapping-not-list": ("name: x\ntags: [protocol]\npoints: 2\nsteps:\n  - start: server\n", 1,
                         "expected a list (- item), found a mapping {'name': 'x', 'points': 2, 'steps': [...], ...} "
                         "(a scenario file is a list of scenarios, each starting with `- name:`)"),
    "unknown-scenario-key": (HEAD.replace("  points: 2\n", "  pionts: 2\n  points: 2\n"), 3, "unknown key 'pionts'"),
    "unknown-step": (HEAD + "    - conect: alice\n", 6, "unknown step 'conect'"),
    "unknown-step-key": (HEAD + "    - connect: {as: alice, whitin: 2}\n", 6, "unknown key 'whitin'"),
    "unknown-tag": (HEAD.replace("[protocol]", "[protocol, speed]"), 2, "unknown tag 'speed'"),
    "missing-points": (HEAD.replace("  points: 2\n", ""), 1, "missing required key 'points'"),
    "points-wrong-type": (HEAD.replace("points: 2", 'points: "two"'), 3, "expected a number, found text 'two'"),
    "two-verbs-in-one-step": (HEAD + "      connect: alice\n", 5, "exactly one key"),
    "client-never-connected": (HEAD + '    - connect: alice\n    - send: {as: bob, data: "x"}\n', 7,
                               "no client named 'bob' was connected"),
    "client-beyond-each": (HEAD + '    - connect: {as: "c{i}", each: 2}\n    - close: {as: "c{i}", each: 3}\n', 7,
                           "no client named 'c3'"),
    "program-never-started": (HEAD + "    - wait_exit: {of: cli}\n", 6, "no program named 'cli' was started"),
    "unknown-program": (HEAD + "    - start: {program: proxy}\n", 6, "unknown program 'proxy'"),
    "send-data-and-random": (HEAD + '    - connect: alice\n    - send: {as: alice, data: "x", random: 10}\n', 7,
                             "needs exactly one of: data, random"),
    "expect-neither-data-nor-echo": (HEAD + "    - connect: alice\n    - expect: {as: alice}\n", 7,
                                     "needs exactly one of: data, echo"),
    "bound-names-no-saved-measure": (HEAD + "    - probe: {measure: fds, of: server, at_most: fds_before}\n", 6,
                                     "at_most: 'fds_before' refers to no measure saved"),
    "bound-saved-by-a-later-probe": (HEAD + "    - probe: {measure: fds, of: server, at_most: fds_before}\n"
                                     "    - probe: {measure: fds, of: server, save: fds_before}\n", 6,
                                     "refers to no measure saved by an earlier step"),
    "probe-fds-without-of": (HEAD + "    - probe: {measure: fds, at_most: 3}\n", 6,
                             "measure 'fds' needs `of: NAME`"),
}

# Bugs found by these tests, now fixed: kept as regression cases.
REGRESSIONS = [
    pytest.param(HEAD.replace("  steps:\n", "  step:\n    - start: server\n  steps:\n"), 4, "unknown key 'step'",
                 id="unknown-key-with-block-value"),
    pytest.param(HEAD + '    - probe: {measure: fds, of: server, at_most: ""}\n', 6, "at_most", id="empty-bound"),
    pytest.param(HEAD + "    - probe: {measure: fds, of: server, save: fds_before}\n"
                 '    - probe: {measure: fds, of: server, at_most: "fds_before * 2"}\n', 7, "'fds_before * 2'",
                 id="bound-the-driver-cannot-parse"),
    pytest.param(HEAD + "  1: a\n  foo: b\n", 6, "unknown key", id="unknown-keys-of-mixed-types"),
]

# What yaml.safe_load would accept silently or choke on (KeyError, TypeError, RecursionError,
# ValueError, OverflowError...), found by tests/unit/test_assignment_fuzz.py or written for it.
YAML_EDGES = [
    pytest.param(HEAD + "  ? [a, b]\n  : c\n", 6, "a key must be a name, not a list", id="list-as-key"),
    pytest.param("- {[1]: 2}\n", 1, "a key must be a name", id="flow-list-as-key"),
    pytest.param("- !!python/object:os.system {name: x}\n", 1, "the tag !!python/object:os.system is not allowed",
                 id="python-object-tag-on-a-mapping"),
    pytest.param("- !!python/object/apply:os.system [ls]\n", 1, "is not allowed", id="python-apply-tag"),
    pytest.param("- !!set {a, b}\n", 1, "the tag !!set is not allowed", id="set-tag"),
    pytest.param("- !local x\n", 1, "the tag !local is not allowed", id="local-tag"),
    pytest.param("- &a [*a]\n", 1, "must not loop", id="alias-to-itself"),
    pytest.param("- a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"  a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 7)), 5,
        "more than 100000 values once the aliases", id="billion-laughs"),
    pytest.param("\n" + "[" * 3000 + "]" * 3000 + "\n", 2, "nested more than 32 levels", id="deep-nesting"),
    pytest.param(HEAD.replace("name: x", "name: x\x01"), 1, "character U+0001 is not allowed", id="control-char"),
    pytest.param(HEAD.replace("points: 2", "points: " + "9" * 400), 3, "is too big a number", id="huge-int"),
    pytest.param(HEAD.replace("points: 2", "points: " + "9" * 5000), 3, "is too big a number",
                 id="int-beyond-4300-digits"),
    pytest.param(HEAD.replace("points: 2", "points: .nan"), 3, "write a finite number", id="nan"),
    pytest.param(HEAD.replace("points: 2", "points: 1.0e+999"), 3, "write a finite number", id="inf-by-overflow"),
    pytest.param(HEAD.replace("points: 2", "points: 5000"), 3, "greater than the maximum", id="points-bounded"),
    pytest.param(HEAD + "    - connect: {as: 'c{i}', each: 2.0}\n", 6, "expected a whole number, found a number 2.0",
                 id="float-where-an-integer-goes"),
    pytest.param(HEAD.replace("name: x", 'name: "\\ud800"'), 1, "surrogate", id="lone-surrogate"),
    pytest.param(HEAD.replace("name: x", 'name: "a\\0b"'), 1, "one line of text without control characters",
                 id="nul-in-name"),
    pytest.param(HEAD.replace("name: x", 'name: "x\\n"'), 1, "one line of text", id="name-ending-in-newline"),
    pytest.param(HEAD + '    - connect: "alice\\n"\n', 6, "a name (letters", id="client-name-ending-in-newline"),
    pytest.param(HEAD.replace("name: x", "name: 2024-01-01"), 1, "reads as a date", id="date"),
    pytest.param(HEAD.replace("points: 2", "points: !!int"), 3, "'' cannot be read as !!int", id="empty-int"),
    pytest.param(HEAD.replace("points: 2", "points: !!bool maybe"), 3, "'maybe' cannot be read as !!bool",
                 id="tagged-bool"),
    pytest.param(HEAD.replace("points: 2", "points: 1" + "0" * 400 + ".0"), 3, "100000000000000000000... is not "
                 "a number the grader can use", id="float-overflow-is-clipped"),
    pytest.param(HEAD + "  <<: {feedback: x}\n", 6, "merge keys (<<) are not supported", id="merge-key"),
    pytest.param(HEAD.replace("    - start", "\t- start"), 5, "indent with spaces", id="tab-indent"),
    pytest.param(HEAD + "x: 1\n", 6, "the indentation is off", id="mapping-after-list"),
    pytest.param(HEAD.replace("[protocol]", "[protocol"), 3, "flow sequence at line 2", id="unclosed-bracket"),
    pytest.param(HEAD.replace("  points: 2\n", "  points: 2\n  tags: [cpu]\n"), 4,
                 "duplicate key 'tags' (first at line 2)", id="duplicate-key-names-the-first"),
    pytest.param("", 1, "the file is empty: expected a list", id="empty-file"),
    pytest.param("# only a comment\n", 1, "the file is empty", id="only-comments"),
    pytest.param("[", 1, "the end of the file", id="eof-error-line-is-in-the-file"),
    pytest.param(HEAD + "---\n" + HEAD, 6, "expected a single document", id="two-documents"),
    pytest.param("- &a x\n- &a y\n", 2, "found duplicate anchor 'a'; first occurrence at line 1", id="anchor-twice"),
]


@pytest.mark.parametrize(("text", "line", "message"), [*BROKEN_SCENARIOS.values(), *REGRESSIONS, *YAML_EDGES],
                         ids=[*BROKEN_SCENARIOS, *(p.id for p in [*REGRESSIONS, *YAML_EDGES])])
def test_broken_scenario_file_names_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    folder = make_assignment(tmp_path / "lab", {"broken.yaml": text})
    error = load_error(folder)
    assert error.startswith(f"{folder / 'scenarios' / 'broken.yaml'}:{line}: "), error
    assert message in error


def test_several_problems_of_one_file_are_all_reported(tmp_path: Path) -> None:
    text = HEAD.replace("[protocol]", "[speed]") + "    - conect: alice\n" + (  # lines 1-6
        "- name: y\n  tags: [protocol]\n  pionts: 2\n  steps:\n    - start: server\n")  # lines 7-11
    folder = make_assignment(tmp_path / "lab", {"broken.yaml": text})
    path = folder / "scenarios" / "broken.yaml"
    rows = load_error(folder).splitlines()
    found = {}
    for row in rows:
        match = re.fullmatch(rf"{re.escape(str(path))}:(\d+): (.*)", row)
        assert match, row
        found[int(match[1])] = match[2]
    assert len(rows) == 4
    assert "unknown tag 'speed'" in found[2]
    assert "unknown step 'conect'" in found[6]
    assert "missing required key 'points'" in found[7]
    assert "unknown key 'pionts'" in found[9]


# A mistyped name, anywhere an instructor writes one: "did you mean" comes before the list of choices.
LIST = " (expected one of: "
DID_YOU_MEAN = [
    pytest.param("broken.yaml", HEAD.replace("  points: 2\n", "  pionts: 2\n  points: 2\n"), 3,
                 "scenario \"x\": unknown key 'pionts': did you mean 'points'?" + LIST, id="scenario-key"),
    pytest.param("broken.yaml", HEAD + "    - conect: alice\n", 6,
                 "scenario \"x\", step 2: unknown step 'conect': did you mean 'connect'?" + LIST, id="step"),
    pytest.param("broken.yaml", HEAD + "    - connect: {as: alice, whitin: 2}\n", 6,
                 "unknown key 'whitin': did you mean 'within'?" + LIST, id="step-key"),
    pytest.param("broken.yaml", HEAD.replace("[protocol]", "[concurency]"), 2,
                 "unknown tag 'concurency': did you mean 'concurrency'?" + LIST, id="tag"),
    pytest.param("broken.yaml", HEAD + "    - probe: {measure: zombie, of: server, at_most: 1}\n", 6,
                 "'zombie' is not allowed here: did you mean 'zombies'?" + LIST, id="measure"),
    pytest.param("broken.yaml", HEAD + "    - start: {program: sever}\n", 6,
                 "unknown program 'sever': did you mean 'server'? (assignment.yaml defines: server, client)",
                 id="program"),
    pytest.param("broken.yaml", HEAD + "  requires: [the sever starts]\n" + HEAD.replace("name: x",
                 "name: the server starts"), 1, "requires 'the sever starts', which no scenario of the assignment is "
                 "called: did you mean 'the server starts'? (names must match exactly)", id="requires"),
    pytest.param("assignment.yaml", ASSIGNMENT_YAML + "titel: Lab\n", 6,
                 "unknown key 'titel': did you mean 'title'?" + LIST, id="assignment-key"),
    pytest.param("assignment.yaml", ASSIGNMENT_YAML + "limits: {cpu_second: 5}\n", 6,
                 "unknown key 'cpu_second': did you mean 'cpu_seconds'?" + LIST, id="limit"),
    pytest.param("broken.yaml", HEAD.replace("  points: 2\n", "  points: 2\n  zzz: 1\n"), 4,
                 "unknown key 'zzz'" + LIST, id="nothing-close"),
]


@pytest.mark.parametrize(("file", "text", "line", "message"), DID_YOU_MEAN)
def test_a_mistyped_name_gets_a_did_you_mean(tmp_path: Path, file: str, text: str, line: int, message: str) -> None:
    if file == "assignment.yaml":
        folder = make_assignment(tmp_path / "lab", meta=text)
        path = folder / file
    else:
        folder = make_assignment(tmp_path / "lab", {file: text})
        path = folder / "scenarios" / file
    error = load_error(folder)
    assert error.startswith(f"{path}:{line}: "), error
    assert message in error, error
    assert ("did you mean" in error) == ("did you mean" in message)


def test_a_mistyped_key_of_a_mutant_gets_a_did_you_mean(tmp_path: Path) -> None:
    path = tmp_path / "mutant.yaml"
    path.write_text("description: x\nfails: [cleanup]\nfials: [cpu]\n")
    with pytest.raises(AssignmentError) as excinfo:
        read_checked(path, "mutant")
    assert str(excinfo.value).startswith(f"{path}:3: unknown key 'fials': did you mean 'fails'? (expected one of: ")


def test_duplicate_scenario_names_across_files(tmp_path: Path) -> None:
    other = "- name: another\n  tags: [protocol]\n  points: 1\n  steps:\n    - start: server\n" + BASIC_YAML
    folder = make_assignment(tmp_path / "lab", {"a.yaml": BASIC_YAML, "b.yaml": other})
    error = load_error(folder)
    assert error.startswith(f"{folder / 'scenarios' / 'b.yaml'}:6: ")
    assert "duplicate scenario name 'server echoes one line'" in error
    assert f"first defined at {folder / 'scenarios' / 'a.yaml'}:1" in error


def test_assignment_without_scenarios(tmp_path: Path) -> None:
    folder = make_assignment(tmp_path / "lab", {})
    assert load_error(folder).startswith(f"{folder / 'scenarios'}: no scenarios")
    (folder / "scenarios").rmdir()
    assert load_error(folder).startswith(f"{folder / 'scenarios'}: missing: make this folder")


@pytest.mark.parametrize(("meta", "scripts", "line", "message"), [
    pytest.param(ASSIGNMENT_YAML, ("client.py",), 4, "program 'server': the reference has no server.py",
                 id="no-server.py"),
    pytest.param(ASSIGNMENT_YAML + "titel: Lab\n", ("server.py", "client.py"), 6, "unknown key 'titel'",
                 id="unknown-key"),
    pytest.param(ASSIGNMENT_YAML.replace("name: mini\n", ""), ("server.py", "client.py"), 1,
                 "missing required key 'name'", id="no-name"),
    pytest.param(ASSIGNMENT_YAML.replace("kind: client", "kind: daemon"), ("server.py", "client.py"), 5,
                 "'daemon' is not allowed here", id="bad-kind"),
    pytest.param(ASSIGNMENT_YAML + "limit:\n  cpu_seconds: 5\n", ("server.py", "client.py"), 6, "unknown key 'limit'",
                 id="unknown-key-with-block-value"),
    pytest.param(ASSIGNMENT_YAML.replace("  client:", "  0:"), ("server.py", "client.py"), 5,
                 "the key 0 is not text", id="program-name-not-text"),
    pytest.param(ASSIGNMENT_YAML.replace("  client:", "  Client:"), ("server.py", "client.py"), 5,
                 "the key 'Client' is not a program name", id="program-name-upper-case"),
    pytest.param(ASSIGNMENT_YAML.replace("reference: ref", "reference: nowhere"), (), 2,
                 "reference: no folder", id="no-reference-folder"),
    pytest.param(ASSIGNMENT_YAML.replace("reference: ref", f"reference: {'x' * 300}/ref"), (), 2,
                 "File name too long", id="reference-name-too-long"),
    pytest.param(ASSIGNMENT_YAML.replace("reference: ref", "reference: ''"), (), 2,
                 "is empty: expected at least one character", id="reference-empty"),
    pytest.param(ASSIGNMENT_YAML.replace("[server.py,", "[../server.py,"), ("server.py", "client.py"), 4,
                 "a file of the submission", id="script-outside-the-submission"),
    pytest.param(ASSIGNMENT_YAML.replace("[server.py,", f"[{'s' * 300}.py,"), ("server.py", "client.py"), 4,
                 f"the reference has no {'s' * 300}.py", id="script-name-too-long"),
    pytest.param(ASSIGNMENT_YAML.replace('"{port}"]', '"\\0"]'), ("server.py", "client.py"), 4,
                 "text without NUL characters", id="nul-in-argv"),
    pytest.param(ASSIGNMENT_YAML + "limits: {memory_mb: 512.0}\n", ("server.py", "client.py"), 6,
                 "expected a whole number, found a number 512.0", id="float-limit"),
    pytest.param(ASSIGNMENT_YAML + 'title: "Lab\\n1"\n', ("server.py", "client.py"), 6,
                 "one line of text", id="title-on-two-lines"),
    pytest.param(ASSIGNMENT_YAML.replace("programs:\n", "programs: {}\n").split("  server")[0],
                 ("server.py", "client.py"), 3, "{} is empty: expected at least one key", id="no-programs"),
    pytest.param("", (), 1, "the file is empty: expected a mapping", id="empty"),
])
def test_broken_assignment_yaml(tmp_path: Path, meta: str, scripts: tuple[str, ...], line: int, message: str) -> None:
    folder = make_assignment(tmp_path / "lab", meta=meta, scripts=scripts)
    error = load_error(folder)
    assert error.startswith(f"{folder / 'assignment.yaml'}:{line}: "), error
    assert message in error


def test_find_assignment_by_name_and_by_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LABGRADE_ASSIGNMENTS", raising=False)
    assert find_assignment("echo-iterative").resolve() == ROOT / "assignments" / "echo-iterative"
    folder = make_assignment(tmp_path / "mini")
    assert find_assignment(folder) == folder


def test_every_missing_program_is_reported(tmp_path: Path) -> None:
    folder = make_assignment(tmp_path / "lab", scripts=())
    assert load_error(folder).splitlines() == [
        f"{folder / 'assignment.yaml'}:4: program 'server': the reference has no server.py "
        f"(looked for {folder / 'ref' / 'server.py'}): add it or fix argv",
        f"{folder / 'assignment.yaml'}:5: program 'client': the reference has no client.py "
        f"(looked for {folder / 'ref' / 'client.py'}): add it or fix argv"]


def test_unreadable_files_say_so(tmp_path: Path) -> None:
    folder = make_assignment(tmp_path / "lab", {"bad.yaml": "x"})
    (folder / "scenarios" / "bad.yaml").write_bytes(HEAD.encode() + b"    - connect: al\xe9\n")
    assert load_error(folder) == (f"{folder / 'scenarios' / 'bad.yaml'}:6: not UTF-8 text (byte 0xe9): "
                                  f"save the file as UTF-8")
    (folder / "scenarios" / "bad.yaml").unlink()
    (folder / "scenarios" / "bad.yaml").mkdir()
    assert load_error(folder).startswith(f"{folder / 'scenarios' / 'bad.yaml'}: cannot read: Is a directory")


def test_mutant_manifests_have_a_schema(tmp_path: Path) -> None:
    """mutant.yaml files read with read_checked(path, "mutant"): the real ones pass, broken ones say where."""
    manifests = sorted((ROOT / "assignments").glob("*/mutants/*/mutant.yaml"))
    assert len(manifests) >= 10
    for path in manifests:
        data, _ = read_checked(path, "mutant")
        assert data["fails"] and data["description"]
    path = tmp_path / "mutant.yaml"
    for text, line, message in [("description: x\nfails: [speed]\n", 2, "unknown tag 'speed'"),
                                ("description: x\n", 1, "missing required key 'fails'"),
                                ("description: x\nfails: [cleanup]\nfials: [cpu]\n", 3, "unknown key 'fials'"),
                                ("description: x\nfails: [cleanup\n", 2, "but got the end of the file")]:
        path.write_text(text)
        with pytest.raises(AssignmentError) as excinfo:
            read_checked(path, "mutant")
        assert str(excinfo.value).startswith(f"{path}:{line}: ") and message in str(excinfo.value), excinfo.value


def test_find_assignment_with_a_name_too_long(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABGRADE_ASSIGNMENTS", raising=False)
    with pytest.raises(UsageError, match="no assignment 'xxx"):
        find_assignment("x" * 300)


def test_find_unknown_assignment_lists_the_labs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABGRADE_ASSIGNMENTS", raising=False)
    with pytest.raises(UsageError) as excinfo:
        find_assignment("no-such-lab")
    message = str(excinfo.value)
    assert "'no-such-lab'" in message
    assert all(lab in message for lab in LABS)


def test_a_lab_declares_its_own_tags(tmp_path: Path) -> None:
    """assignment.yaml `tags:` adds tags its scenarios and mutants' `fails:` may use; any other is refused
    with file:line and the list of the tags allowed, the lab's own included."""
    own = BASIC_YAML.replace("[protocol]", "[protocol, format]")
    folder = make_assignment(tmp_path / "lab", {"basic.yaml": own}, meta=ASSIGNMENT_YAML + "tags: [format]\n")
    lab = load_assignment(folder)
    assert lab.tags == (*TAGS, "format")
    assert lab.scenarios[0].tags == ("protocol", "format")
    mutant = folder / "mutants" / "wrong-format"
    mutant.mkdir(parents=True)
    (mutant / "mutant.yaml").write_text("description: x\nfails: [format]\n")
    assert [m.fails for m in mutants_of(lab)] == [frozenset({"format"})]
    (mutant / "mutant.yaml").write_text("description: x\nfails:\n  - format\n  - speed\n")
    with pytest.raises(AssignmentError) as excinfo:
        mutants_of(lab)
    assert str(excinfo.value) == (f"{mutant / 'mutant.yaml'}:4: unknown tag 'speed' (expected one of: "
                                  f"{', '.join(TAGS)}, format; a lab declares its own tags in assignment.yaml, "
                                  f"e.g. `tags: [format]`)")
    # a lab that does not declare it: the scenario using it is refused, the standard tags listed
    (folder / "assignment.yaml").write_text(ASSIGNMENT_YAML)
    assert load_error(folder).startswith(f"{folder / 'scenarios' / 'basic.yaml'}:2: scenario \"server echoes one "
                                         f"line\": unknown tag 'format' (expected one of: {', '.join(TAGS)};")
    for tags, message in [("[protocol]", "tags: 'protocol' is a standard tag already: remove it"),
                          ("[Format]", "'Format' does not match: expected a tag (lower-case letters")]:
        (folder / "assignment.yaml").write_text(ASSIGNMENT_YAML + f"tags: {tags}\n")
        assert load_error(folder).startswith(f"{folder / 'assignment.yaml'}:6: {message}")


def test_the_schemas_list_the_standard_tags() -> None:
    """One list of standard tags: the model's, which the schemas' `$defs/tag` repeat for editors."""
    assert schema("scenarios")["$defs"]["tag"]["enum"] == list(TAGS)
    assert schema("mutant")["$defs"]["tag"]["enum"] == list(TAGS)


def test_a_mistyped_lab_name_gets_a_did_you_mean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LABGRADE_ASSIGNMENTS", raising=False)
    with pytest.raises(UsageError) as excinfo:
        find_assignment("echo-concurent")
    assert str(excinfo.value).startswith("no assignment 'echo-concurent': did you mean 'echo-concurrent'? (give a "
                                         "lab name: echo-concurrent, echo-iterative, ")
