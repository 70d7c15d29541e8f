"""Sans-IO stream expectations: any split of the received bytes gives the same verdict."""

from __future__ import annotations

import random

import pytest

from grader.driver.matching import (
    MATCHED,
    MISMATCH,
    PENDING,
    Match,
    describe_mismatch,
    match_contains,
    match_exact,
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
