"""`grade --shard K/N`: the submissions of one shard of a class.

Shards: `--shard K/N` keeps the submissions for which the first 8 bytes of the sha256 of the
name (UTF-8), read as a big-endian number, are K-1 modulo N. It depends on the name only, so a
student stays on the same shard when the class grows or shrinks (a shard's CI cache keeps
hitting), and N runners split a class of hundreds evenly enough.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .handin import submission_name
from .i18n import _


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        k, _slash, n = text.partition("/")
        if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
            raise ValueError(_("{text!r} is not a shard: write K/N with 1 <= K <= N, e.g. 2/4").format(text=text))
        return cls(int(k), int(n))

    def holds(self, name: str) -> bool:
        digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index - 1

    def select(self, submissions: list[Path]) -> list[Path]:
        return [s for s in submissions if self.holds(submission_name(s))]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
