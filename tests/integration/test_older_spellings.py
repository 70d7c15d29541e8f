"""A lab written in the older spellings of the step keys (docs/scenarios.md, "Older spellings")
grades exactly as the same lab written in the keys of one role each: the course's queue reference,
graded through the local sandbox, scenario by scenario, passes and fails alike and says the same."""

from __future__ import annotations

import json
from pathlib import Path

from grader.cli import main

REPO = Path(__file__).resolve().parents[2]
META = f"""name: spellings
reference: {REPO / "reference" / "queue"}
programs:
  server: {{argv: [server.py, "{{port}}"], kind: server}}
  client: {{argv: [client.py, "{{host}}", "{{port}}"], kind: client}}
"""
# each scenario in the keys of one role each; OLDER gives the older spelling of a line
SCENARIOS = """- name: the backlog asked for
  tags: [queue]
  points: 1
  steps:
    - start: {program: server, args: [3], save: server_backlog}
    - compare: {saved: server_backlog, equals: 3}
- name: a backlog it did not ask for
  tags: [queue]
  points: 1
  steps:
    - start: {program: server, args: [3], save: server_backlog}
    - compare: {saved: server_backlog, equals: 4}
- name: a client echoes a typed line
  tags: [protocol]
  points: 1
  steps:
    - start: {program: server, from: reference}
    - start: {program: client, as: cli}
    - type: {of: cli, data: "hello\\n"}
    - expect_output: {of: cli, data: "hello\\n"}
    - type: {of: cli, eof: true}
    - wait_exit: {of: cli, code: 0}
- name: a client reports a refused connection
  tags: [errors]
  points: 1
  steps:
    - start: {program: client, as: cli, args: [0]}
    - wait_exit: {of: cli, code: 2, within: 5}
    - check_stderr: {of: cli, at_least: 2, at_most: 2, traceback: false}
- name: more lines than it writes
  tags: [errors]
  points: 1
  steps:
    - start: {program: client, as: cli, args: [0]}
    - wait_exit: {of: cli, code: 2, within: 5}
    - check_stderr: {of: cli, at_least: 3}
"""
OLDER = {", save: server_backlog}": "}", "type: {of:": "type: {into:", "at_least:": "min_lines:",
         "at_most:": "max_lines:"}


def graded(tmp_path: Path, name: str, scenarios: str) -> dict[str, tuple[float, str, str]]:
    """Each scenario's score, status, and why it failed (the feedback's paragraph after the step)."""
    lab = tmp_path / name
    (lab / "scenarios").mkdir(parents=True)
    (lab / "assignment.yaml").write_text(META)
    (lab / "scenarios" / "s.yaml").write_text(scenarios)
    out = tmp_path / f"{name}-report"
    main([str(REPO / "reference" / "queue"), "-a", str(lab), "--backend", "local", "--lang", "en", "-o", str(out)])
    (submission,) = json.loads((out / "results.json").read_text())["submissions"]
    return {t["name"]: (t["score"], t["status"], t["output"].split("\n\n")[1] if t["status"] == "failed" else "")
            for t in submission["tests"]}


def test_a_lab_in_the_older_spellings_grades_as_in_the_new_ones(tmp_path: Path) -> None:
    older = SCENARIOS
    for new, old in OLDER.items():
        assert new in older
        older = older.replace(new, old)
    assert "save:" not in older and "into:" in older and "min_lines:" in older
    now = graded(tmp_path, "now", SCENARIOS)
    assert now == graded(tmp_path, "older", older)
    assert {name: status for name, (_score, status, _why) in now.items()} == {
        "the backlog asked for": "passed", "a backlog it did not ask for": "failed",
        "a client echoes a typed line": "passed", "a client reports a refused connection": "passed",
        "more lines than it writes": "failed"}
    assert now["a backlog it did not ask for"][2] == "server_backlog is 3, expected equals 4"
    assert now["more lines than it writes"][2] == "cli wrote 2 lines on stderr, expected 3 lines or more"
