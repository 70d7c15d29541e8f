"""Driver outcomes written by hand for the unit tests (grader/driver/wire.py), as the driver sends them."""

from __future__ import annotations

from grader.driver.wire import Event, Outcome, ProgramOutcome, Transcript, Verdict


def program(exit: str, stderr: str = "", student: bool = True, **more: object) -> ProgramOutcome:
    fields: dict[str, object] = {"student": student, "origin": "student" if student else "reference",
                                 "script": "server.py", "exit": exit, "returncode": 1, "stderr": stderr,
                                 "stdout_bytes": 0, "stderr_bytes": len(stderr), "limited": False, **more}
    return ProgramOutcome(**fields)  # type: ignore[arg-type]


def failed(step: int = 0, step_text: str = "", reason: str = "", expected: str = "", observed: str = "",
           events: list[list[object]] | tuple[()] = (), dropped: int = 0,
           programs: dict[str, ProgramOutcome] | None = None) -> Outcome:
    return Outcome("failed", Transcript(tuple(Event(*e) for e in events), dropped),  # type: ignore[arg-type]
                   programs or {}, verdict=Verdict(step, step_text, reason, expected, observed))
