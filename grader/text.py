"""Student text made safe to show, wherever it is shown: a terminal (logs, pytest's output, the
progress line), a page, a spreadsheet, a CI log. Nothing a student printed or named a folder may
act on the reader: no terminal escape (ESC, OSC 52 writing the clipboard, a CR hiding a line),
no bidirectional control reordering what is read (U+202E), no invisible character, no lone
surrogate (an undecodable byte). Each becomes a visible escape (\\x1b, \\u202e, \\udce9); tab and
newline stay."""

from __future__ import annotations

import re

INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff"
                       "\u2028\u2029\ud800-\udfff]")


def visible(text: str) -> str:
    return INVISIBLE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)
