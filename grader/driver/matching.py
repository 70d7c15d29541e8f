"""Sans-IO stream expectations: bytes in, verdicts out.

An expectation is checked against everything received so far on one stream, starting at a
cursor (what earlier expectations consumed). It never waits and never reads a socket; the step
interpreter feeds it whatever has arrived, and whether the stream has ended (`eof`), and asks
again after every read, so any split of the bytes gives the same verdict
(tests/unit/test_matching.py feeds them one byte at a time).

The modes, exact by default (docs/labs.md, "Output"):
  * exact: the next bytes are exactly the expected ones; the first differing byte is a mismatch;
  * contains: anything, then the expected bytes (leniency the scenario asks for);
  * line: the next line (up to its newline, or the end of the stream) fully matches a regular
    expression;
  * end: nothing more: the stream ends here.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .i18n import _

PENDING = "pending"
MATCHED = "matched"
MISMATCH = "mismatch"


class Match(NamedTuple):
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


class Exact:
    """match_exact over a growing buffer that compares each byte once (a flood is megabytes):
    `feed(rx, at)` judges rx[at:], the bytes received since the cursor."""

    def __init__(self, expected: bytes) -> None:
        self.expected = expected
        self.checked = 0

    def feed(self, rx: bytes | bytearray, at: int) -> Match:
        have = len(rx) - at
        n = min(have, len(self.expected))
        if n > self.checked:
            got, want = rx[at + self.checked:at + n], self.expected[self.checked:n]
            if got != want:
                return Match(MISMATCH, offset=self.checked + next(i for i, (a, b) in enumerate(zip(got, want,
                                                                                                   strict=True))
                                                                 if a != b))
            self.checked = n
        return Match(MATCHED, consumed=len(self.expected)) if have >= len(self.expected) else Match(PENDING)


def match_exact_until(expected: bytes, received: bytes, eof: bool) -> Match:
    """match_exact, where a stream that ended before all of `expected` arrived is a mismatch."""
    m = match_exact(expected, received)
    return Match(MISMATCH, offset=len(received)) if m.state == PENDING and eof else m


def match_contains(expected: bytes, received: bytes, eof: bool = False) -> Match:
    """`expected` must appear somewhere in the stream (extra chatter before it is allowed)."""
    at = received.find(expected)
    if at < 0:
        return Match(MISMATCH, offset=len(received)) if eof else Match(PENDING)
    return Match(MATCHED, consumed=at + len(expected))


def match_line(pattern: re.Pattern[str], received: bytes, eof: bool) -> Match:
    """The next line, without its "\n" (and a "\r" before it), decoded as UTF-8 (undecodable
    bytes as U+FFFD), must fully match `pattern`; at the end of the stream, an unfinished last
    line counts as a line. Nothing at all before the end is a mismatch."""
    end = received.find(b"\n")
    if end < 0:
        if not eof:
            return Match(PENDING)
        if not received:
            return Match(MISMATCH, offset=0)
        line, consumed = received, len(received)
    else:
        line, consumed = received[:end], end + 1
    text = line.removesuffix(b"\r").decode("utf-8", "replace")
    return Match(MATCHED, consumed=consumed) if pattern.fullmatch(text) else Match(MISMATCH, offset=0)


def match_end(received: bytes, eof: bool) -> Match:
    """Nothing more: the stream ends with no byte after the cursor."""
    if received:
        return Match(MISMATCH, offset=0)
    return Match(MATCHED) if eof else Match(PENDING)


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
    return shown + ("... " + _("({count} bytes)").format(count=len(data)) if len(data) > limit else "")


def describe_mismatch(expected: bytes, received: bytes, offset: int) -> str:
    """Expected vs observed around the first differing byte."""
    lo = max(0, offset - 20)
    return _("byte {offset} differs: expected {expected}, received {received}").format(
        offset=offset, expected=show(expected[lo:offset + 20]), received=show(received[lo:offset + 20]))
