"""A check written in Python, for what YAML cannot say: the time sent is the clock's.

The host's clock is read before the client connects and after the line has arrived: the
server read its clock in between, so its time (to the second) must lie within these bounds.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)  # the line has whole seconds


@pytest.mark.labgrade(points=2, tags=["clock"], name="the time sent is the current UTC time",
                      requires=["the line is a date and time, YYYY-MM-DD HH:MM:SS"])
def test_the_time_is_now(live_submission):  # type: ignore[no-untyped-def]
    """The server sends the current time in UTC, to the second."""
    box = live_submission()
    box.step("start", "server")
    before = utc_now()
    box.step("connect", {"as": "alice"})
    box.step("expect", {"as": "alice", "contains": "\n"})  # fails, with its own feedback, if no line comes
    after = utc_now()
    line = box.received("alice").split("\n")[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line), f"The server sent {line!r}, not a date and time."
    sent = datetime.strptime(line, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert before <= sent <= after, (
        f"The server sent {line}, but it was {before:%Y-%m-%d %H:%M:%S} UTC (to the second) when the client "
        f"connected. Send datetime.now(UTC), read when the client connects: not the local time, "
        f"nor a time read once at start-up."
    )
