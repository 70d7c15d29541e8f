"""The pytest plugin: an assignment's scenario files are test items, graded in a sandbox.

    pytest assignments/echo-concurrent --submission path/to/student [--backend local] [-k zombies]

Each scenario of scenarios/*.yaml is one item; a failing item prints the student-facing
feedback, not a traceback. Checks written in Python sit beside them (e.g. checks/test_*.py)
as ordinary pytest tests: mark them `@pytest.mark.labgrade(points=2, tags=["protocol"])` and
use the `live_submission` fixture, which opens a sandbox running the driver step by step. Their
texts may be bilingual as a scenario's: `name={"fr": ..., "en": ...}`, and an assertion message
picked with the `lang` fixture (the language of the run).
`--labgrade-results FILE` writes every item's result as JSON (what `grade` aggregates).

Layout, one concern a module, each a plugin of its own: `-p grader.plugin` (grading.ini,
classrun.GRADING_PLUGINS, the `pytest11` entry point) registers this module, and pytest registers
the modules of `pytest_plugins` with it. They are imported with this module (`grade`'s pytest
server imports it once, ahead of every run), so each says PYTEST_DONT_REWRITE: pytest could not
rewrite their asserts (they have none) and would warn when it registers them.
- session.py: the options, the session's `Grading` (assignment, sandbox, staged submission), the findings;
- items.py: scenario files as items, the names tests are reported and required by, their order;
- sidebyside.py: the session's scenarios graded ahead, several at once;
- checks.py: checks written in Python (`live_submission`, `LiveSandbox`, `lang`);
- recording.py: each test's result, written for `grade` (`--labgrade-results`);
- template.py: a class run's session, collected once and forked for each submission (`--labgrade-template`).
"""

from __future__ import annotations

from . import checks, items, recording, session, sidebyside, template

__all__ = ["checks", "items", "recording", "session", "sidebyside", "template"]

pytest_plugins = ("grader.plugin.session", "grader.plugin.items", "grader.plugin.sidebyside", "grader.plugin.checks",
                  "grader.plugin.recording", "grader.plugin.template")
