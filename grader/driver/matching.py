"""Sans-IO stream expectations: bytes in, verdicts out.

An expectation is checked against everything received so far on one stream, starting at a
cursor. It never waits and never reads a socket; the step interpreter feeds it whatever has
arrived and asks again after every read, so any split of the bytes gives the same verdict
(tests/unit/test_matching.py feeds it one byte at a time).
"""

from __future__ import annotations

from dataclasses import dataclass

PENDING = "pending"
MATCHED = "matched"
MISMATCH = "mismatch"


@dataclass(frozen=True)
class Match:
    state: str  # PENDING | MATCHED | MISMATCH
    consumed: int = 0  # bytes of the stream the match covers (MATCHED)
    offset: int = 0  # first differing byte, relative to the cursor (MISMATCH)


def match_exact(expected: bytes, received: bytes) -> Match:
    """The next bytes of the stream must be exactly `expected`."""
    n = min(len(expected), len(received))
    for i in range(n):
        if expected[i] != received[i]:
            return Match(MISMATCH, offset=i)
    if len(received) >= len(expected):
        return Match(MATCHED, consumed=len(expected))
    return Match(PENDING)


def match_contains(expected: bytes, received: bytes) -> Match:
    """`expected` must appear somewhere in the stream (extra chatter before it is allowed)."""
    at = received.find(expected)
    if at < 0:
        return Match(PENDING)
    return Match(MATCHED, consumed=at + len(expected))


def match_lines(expected: list[bytes], received: bytes) -> Match:
    """Complete lines, each one of `expected`, in any order (messages relayed from several
    senders interleave as the server pleases). A line that is not expected is a mismatch."""
    remaining = list(expected)
    consumed = 0
    while remaining:
        end = received.find(b"\n", consumed)
        if end < 0:
            break
        line = received[consumed:end + 1]
        if line not in remaining:
            return Match(MISMATCH, offset=consumed)
        remaining.remove(line)
        consumed = end + 1
    return Match(MATCHED, consumed=consumed) if not remaining else Match(PENDING)


def show(data: bytes, limit: int = 80) -> str:
    """A short, unambiguous rendering of bytes for feedback and transcripts."""
    cut = data[:limit]
    try:
        shown = repr(cut.decode("utf-8"))
    except UnicodeDecodeError:
        shown = repr(cut)
    return shown + (f"... ({len(data)} bytes)" if len(data) > limit else "")


def describe_mismatch(expected: bytes, received: bytes, offset: int) -> str:
    """Expected vs observed around the first differing byte."""
    lo = max(0, offset - 20)
    return (
        f"byte {offset} differs: expected {show(expected[lo:offset + 20])}, "
        f"received {show(received[lo:offset + 20])}"
    )
