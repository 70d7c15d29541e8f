"""Sans-IO stream expectations: any split of the received bytes gives the same verdict."""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from grader.driver.matching import (
    MATCHED,
    MISMATCH,
    PENDING,
    Exact,
    Match,
    describe_mismatch,
    match_contains,
    match_end,
    match_exact,
    match_exact_until,
    match_line,
    show,
)

PAYLOADS = {
    "line": b"hello, server\n",
    "one-byte": b"x",
    "utf-8": "ünïcödé ✓ 日本語\n".encode(),
    "binary": random.Random(1).randbytes(300),
    "nul-and-newlines": b"\x00\n\x00\r\n\xff",
}


@pytest.mark.parametrize(("expected", "received", "verdict"), [
    (b"hello", b"hello", Match(MATCHED, consumed=5)),
    (b"hello", b"hello world", Match(MATCHED, consumed=5)),
    (b"hello", b"", Match(PENDING)),
    (b"hello", b"hel", Match(PENDING)),
    (b"hello", b"help", Match(MISMATCH, offset=3)),
    (b"hello", b"Hello", Match(MISMATCH, offset=0)),
    (b"hello", b"hellO world", Match(MISMATCH, offset=4)),
    (b"", b"anything", Match(MATCHED, consumed=0)),
])
def test_match_exact(expected: bytes, received: bytes, verdict: Match) -> None:
    assert match_exact(expected, received) == verdict


@pytest.mark.parametrize(("expected", "received", "verdict"), [
    (b"hello\n", b"hello\n", Match(MATCHED, consumed=6)),
    (b"hello\n", b"> hello\n> ", Match(MATCHED, consumed=8)),
    (b"hello\n", b"> hell", Match(PENDING)),
    (b"hello\n", b"goodbye\n", Match(PENDING)),
    (b"ab", b"aab", Match(MATCHED, consumed=3)),
])
def test_match_contains(expected: bytes, received: bytes, verdict: Match) -> None:
    assert match_contains(expected, received) == verdict


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS)
def test_exact_byte_at_a_time_is_pending_until_the_last_byte(payload: bytes) -> None:
    verdicts = [match_exact(payload, payload[:n]) for n in range(len(payload) + 1)]
    assert verdicts[:-1] == [Match(PENDING)] * len(payload)
    assert verdicts[-1] == Match(MATCHED, consumed=len(payload))
    assert match_exact(payload, payload + b"next") == Match(MATCHED, consumed=len(payload))


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS)
def test_contains_byte_at_a_time_is_pending_until_the_last_byte(payload: bytes) -> None:
    stream = b"\x00" * 3 + b"prompt> " + payload  # the payload occurs only at its end
    verdicts = [match_contains(payload, stream[:n]) for n in range(len(stream) + 1)]
    assert verdicts[:-1] == [Match(PENDING)] * len(stream)
    assert verdicts[-1] == Match(MATCHED, consumed=len(stream))


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS)
def test_mismatch_is_found_at_the_first_differing_byte_whatever_the_split(payload: bytes) -> None:
    for bad in sorted({0, len(payload) // 2, len(payload) - 1}):
        received = payload[:bad] + bytes([payload[bad] ^ 0x01]) + payload[bad + 1:]
        for n in range(len(received) + 1):
            expected = Match(MISMATCH, offset=bad) if n > bad else Match(PENDING)
            assert match_exact(payload, received[:n]) == expected, (bad, n)


def test_describe_mismatch_shows_both_sides_around_the_offset() -> None:
    assert describe_mismatch(b"hello", b"help", 3) == "byte 3 differs: expected 'hello', received 'help'"
    expected = bytes(range(65, 91)) * 4  # A..Z four times: 104 bytes
    received = expected[:50] + b"!" + expected[51:]
    text = describe_mismatch(expected, received, 50)
    assert text.startswith("byte 50 differs: ")
    assert f"expected {show(expected[30:70])}, received {show(received[30:70])}" in text
    assert "'EFGHIJKLMNOPQRSTUVWX!ZABCDEFGHIJKLMNOPQR'" in text


@pytest.mark.parametrize(("data", "shown"), [
    (b"hello\n", "'hello\\n'"),
    ("é✓".encode(), "'é✓'"),
    (b"\xff\xfe\x00", "b'\\xff\\xfe\\x00'"),
    (b"", "''"),
    (b"a" * 80, "'" + "a" * 80 + "'"),
    (b"a" * 81, "'" + "a" * 80 + "'... (81 bytes)"),
    (b"\xff" * 100, "b'" + "\\xff" * 80 + "'... (100 bytes)"),
])
def test_show(data: bytes, shown: str) -> None:
    assert show(data) == shown


def test_show_respects_the_limit() -> None:
    assert show(b"0123456789", limit=4) == "'0123'... (10 bytes)"


# -- every mode, every split: the verdict never depends on how the bytes were cut -----------------

Matcher = Callable[[bytes, bool], Match]
LINE = re.compile(r"(?i).*(closed|fermé).*")
MODES: dict[str, tuple[Matcher, list[tuple[bytes, Match]]]] = {
    # mode: (matcher over (received, ended?), [(the whole stream, then its end) -> final verdict])
    "exact": (lambda got, eof: match_exact_until(b"hello\n", got, eof), [
        (b"hello\n", Match(MATCHED, consumed=6)),
        (b"hello\n\n", Match(MATCHED, consumed=6)),  # what follows is the next expectation's
        (b"hello\n", Match(MATCHED, consumed=6)),
        (b"> hello\n", Match(MISMATCH, offset=0)),  # a prompt
        (b"hello", Match(MISMATCH, offset=5)),  # the stream ended before the newline
        (b"", Match(MISMATCH, offset=0)),
        (b"help\n", Match(MISMATCH, offset=3)),
    ]),
    "contains": (lambda got, eof: match_contains(b"hello", got, eof), [
        (b"> hello\n", Match(MATCHED, consumed=7)),
        (b"hello", Match(MATCHED, consumed=5)),
        (b"hel", Match(MISMATCH, offset=3)),
        (b"", Match(MISMATCH, offset=0)),
    ]),
    "match": (lambda got, eof: match_line(LINE, got, eof), [
        (b"Server closed the connection\n", Match(MATCHED, consumed=29)),
        (b"Le serveur a ferm\xc3\xa9 la connexion\r\nmore", Match(MATCHED, consumed=34)),
        (b"bye", Match(MISMATCH, offset=0)),
        (b"closed", Match(MATCHED, consumed=6)),  # an unfinished last line at the end counts
        (b"goodbye\nclosed\n", Match(MISMATCH, offset=0)),  # the NEXT line must match
        (b"", Match(MISMATCH, offset=0)),
        (b"\xff closed\n", Match(MATCHED, consumed=9)),  # undecodable bytes are U+FFFD
    ]),
    "end": (match_end, [
        (b"", Match(MATCHED)),
        (b"\n", Match(MISMATCH, offset=0)),
    ]),
}
CASES = [(mode, stream, verdict) for mode, (_, cases) in MODES.items() for stream, verdict in cases]


@pytest.mark.parametrize(("mode", "stream", "final"), CASES, ids=[f"{m}-{s!r}" for m, s, _ in CASES])
def test_every_split_gives_the_same_verdict(mode: str, stream: bytes, final: Match) -> None:
    """Fed the stream one prefix at a time (every split point), a matcher is pending, or already
    says what it says at the end; never something else."""
    matcher = MODES[mode][0]
    assert matcher(stream, True) == final
    for n in range(len(stream) + 1):
        early = matcher(stream[:n], False)
        assert early.state in (PENDING, final.state), (n, early)
        if early.state != PENDING:
            assert early == final, (n, early)


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS)
def test_incremental_exact_agrees_with_exact_on_every_split(payload: bytes) -> None:
    for bad in (None, 0, len(payload) // 2, len(payload) - 1):
        received = bytearray(b"xx" + payload if bad is None else
                             b"xx" + payload[:bad] + bytes([payload[bad] ^ 1]) + payload[bad + 1:])
        for cut in range(len(received) + 1):  # everything up to `cut` arrived first, then the rest
            exact, buffer = Exact(payload), bytearray()
            for piece in (received[:cut], received[cut:]):
                buffer += piece
                verdict = exact.feed(buffer, 2)
            assert verdict == match_exact(payload, bytes(received[2:])), (bad, cut)
