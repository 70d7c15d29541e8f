"""Student-facing feedback for one scenario's outcome."""

from __future__ import annotations

from typing import Any

from grader.assignment.model import Scenario
from grader.driver.wire import Outcome, Transcript
from grader.feedback import render
from tests.unit.outcomes import failed as failed_outcome
from tests.unit.outcomes import program

SCENARIO = Scenario(
    name="server echoes one line", tags=("protocol",), points=2.0,
    steps=({"start": "server"}, {"connect": "alice"}, {"send": {"as": "alice", "data": "hi\n"}}),
    feedback="Loop on recv() until it returns b'' and send each chunk with sendall().",
)


def failed(**extra: Any) -> Outcome:
    outcome: dict[str, Any] = {
        "step": 1, "step_text": "connect alice",
        "reason": "1 connection not established within 3.0 s (alice)",
        "expected": "1 client connected", "observed": "no answer",
        "events": [[0.0123, "server", "listening", "port 5000, backlog 5"], [3.25, "alice", "connecting", ""]],
        "programs": {
            "server": program("exited with code 1", "Traceback (most recent call last):\nValueError: bad port\n"),
            "ref": program("killed by SIGTERM", "reference internals\n", student=False),
        },
    }
    return failed_outcome(**{**outcome, **extra})


def test_passed() -> None:
    assert render(SCENARIO, Outcome("passed", duration=1.234)) == "Passed in 1.23 s."


def test_failed_says_where_what_and_when() -> None:
    text = render(SCENARIO, failed())
    lines = text.splitlines()
    assert text.split("\n\n")[:2] == ["Failed at step 2 of 3: connect alice",
                                      "1 connection not established within 3.0 s (alice)"]
    assert "  expected: 1 client connected" in lines
    assert "  observed: no answer" in lines
    assert "What to check:" in lines
    assert "  Loop on recv() until it returns b'' and send each chunk with sendall()." in lines
    assert "     0.012s  server   listening  port 5000, backlog 5" in lines
    assert "     3.250s  alice    connecting" in lines


def test_failed_shows_the_stderr_of_student_programs_only() -> None:
    text = render(SCENARIO, failed())
    assert "Last lines server wrote on stderr (exited with code 1):" in text
    assert "  | ValueError: bad port" in text.splitlines()
    assert "reference internals" not in text
    assert "Last lines ref" not in text


def test_stderr_tail_is_the_last_20_lines() -> None:
    stderr = "".join(f"err{i:02d}\n" for i in range(30))
    text = render(SCENARIO, failed(programs={"server": program("running", stderr)}))
    shown = [line for line in text.splitlines() if line.startswith("  | ")]
    assert shown == [f"  | err{i:02d}" for i in range(10, 30)]


def test_long_transcript_is_cut_in_the_middle() -> None:
    events = [[i / 10, "alice", f"event{i:03d}", ""] for i in range(100)]
    text = render(SCENARIO, failed(events=events, dropped=5))
    assert "event029" in text and "event070" in text
    assert "event030" not in text and "event069" not in text
    assert "  ... 40 events not shown ..." in text.splitlines()
    assert "  (5 more events were not recorded)" in text.splitlines()


def test_without_expected_or_observed_there_is_no_such_line() -> None:
    text = render(SCENARIO, failed(expected="", observed=""))
    assert "expected:" not in text and "observed:" not in text


def test_error_blames_the_grader_not_the_student() -> None:
    error = "Traceback (most recent call last):\n" + "x" * 5000 + "\nRuntimeError: sandbox vanished"
    text = render(SCENARIO, Outcome("error", Transcript(), error=error))
    assert text.startswith("The grader itself failed on this test (not a problem in your code)")
    assert text.endswith("RuntimeError: sandbox vanished")
    assert "Failed at step" not in text
    assert "Traceback" not in text  # only the last 3000 characters of a long error are kept
