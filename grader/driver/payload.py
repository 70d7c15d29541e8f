"""What the scripted peers send and expect: the `{i}` expansion of names and texts for a step
with `each: N` (client i of N), a text cut into pieces, and random printable text."""

from __future__ import annotations

import itertools
import random
from typing import Any


def nth(template: str, i: int) -> str:
    """"c{i}" for the i-th endpoint (or text) of a step: the one `{i}` expansion."""
    return template.replace("{i}", str(i))


def names_of(args: dict[str, Any], key: str = "as") -> list[str]:
    """The endpoints a step names: one, or "c{i}" with `each: N` for c1..cN."""
    name = str(args[key])
    count = args.get("each")
    return [nth(name, i) for i in range(1, count + 1)] if count else [name]


def text_of(value: str, args: dict[str, Any], i: int) -> bytes:
    return (nth(value, i) if args.get("each") else value).encode("utf-8")


def pieces_of(args: dict[str, Any], i: int) -> list[bytes]:
    """`pieces: [...]`, or `data` (UTF-8) cut at the byte offsets of `cut: [...]`."""
    if "pieces" in args:
        return [text_of(str(p), args, i) for p in args["pieces"]]
    data = text_of(args["data"], args, i)
    at = [0, *args["cut"], len(data)]
    return [data[a:b] for a, b in itertools.pairwise(at) if b > a]


TEXT = b"abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789.,;:!?"
AS_TEXT = bytes(TEXT[b % len(TEXT)] for b in range(256))  # a random byte -> a character of TEXT


def random_text(rng: random.Random, size: int) -> bytes:
    """`size` bytes of printable ASCII lines (up to 80 characters each, the last one ended too).
    Random bytes made characters at once, then cut into lines (0.5 ms for 100 KB, against 10 ms
    with random.choices: every submission's scenario of 100 KB pays it)."""
    out = bytearray(rng.randbytes(size).translate(AS_TEXT))
    at = -1
    for step in rng.randbytes(size // 2 + 1):  # each line: 1 to 79 characters, then its newline
        if (at := at + 2 + step % 79) >= size:
            break
        out[at] = ord("\n")
    if out:
        out[-1] = ord("\n")
    return bytes(out)
