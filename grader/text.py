"""Student text made safe to show, wherever it is shown: a terminal (logs, pytest's output, the
progress line), a page, a spreadsheet, a CI log. Nothing a student printed or named a folder may
act on the reader: no terminal escape (ESC, OSC 52 writing the clipboard, a CR hiding a line),
no bidirectional control reordering what is read (U+202E), no invisible character, no lone
surrogate (an undecodable byte). Each becomes a visible escape (\\x1b, \\u202e, \\udce9); tab and
newline stay.

Also the one "did you mean" of every message about a mistyped name (a key, a step, a lab, a command)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from .driver.i18n import _

INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
                       "\u2028\u2029\ud800-\udfff]")


def visible(text: str) -> str:
    return INVISIBLE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


def closest(word: object, choices: Iterable[str]) -> str | None:
    """The one of `choices` closest to the mistyped `word` (difflib's similarity, 0.6 or more), if any."""
    close = difflib.get_close_matches(word, list(choices), n=1) if isinstance(word, str) else []
    return close[0] if close else None


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """": did you mean 'points'?" (in the current language) when one of `choices` is close to the mistyped
    `word`, else "": a message's `{hint}`, as in "unknown key 'pionts'{hint} (expected one of: ...)"."""
    close = closest(word, choices)
    return _(": did you mean {close!r}?").format(close=close) if close else ""
