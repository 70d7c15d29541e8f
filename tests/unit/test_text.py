"""Student text is shown, never obeyed: terminal escapes, bidi controls and undecodable bytes
become visible escapes wherever feedback, names and findings are shown."""

from __future__ import annotations

import os

import pytest

from grader.assignment.model import Scenario
from grader.feedback import render
from grader.text import did_you_mean, visible
from tests.unit.outcomes import failed, program

OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"  # writes the reader's clipboard
TITLE = "\x1b]0;pwned\x07"
BIDI = "file\u202egnp.exe"  # reads "fileexe.png"


@pytest.mark.parametrize(("raw", "shown"), [
    (OSC52, "\\x1b]52;c;cm0gLXJmIH4=\\x07"),
    (TITLE, "\\x1b]0;pwned\\x07"),
    (BIDI, "file\\u202egnp.exe"),
    ("ok\rhidden", "ok\\rhidden"),  # a CR would let a line hide what precedes it
    ("\u2066isolate\u2069 \u200bzero \ufeffbom", "\\u2066isolate\\u2069 \\u200bzero \\ufeffbom"),
    (os.fsdecode(b"caf\xe9"), "caf\\udce9"),
    ("tab\tand\nnewline stay, é and ✓ too", "tab\tand\nnewline stay, é and ✓ too"),
])
def test_visible(raw: str, shown: str) -> None:
    assert visible(raw) == shown


def test_feedback_shows_a_students_stderr_without_obeying_it() -> None:
    scenario = Scenario("s", ("protocol",), 1.0, ({"start": "server"},))
    outcome = failed(0, "start server", "server exited",
                     programs={"server": program("exited with code 1", f"boom {OSC52}{BIDI}\rgone\n")})
    text = render(scenario, outcome)
    assert "boom \\x1b]52;" in text and "file\\u202egnp.exe\n  | gone" in text  # the CR ended a line
    assert not any(c in text for c in ("\x1b", "\u202e", "\r", "\x07"))


@pytest.mark.parametrize(("word", "says"), [("pionts", ": did you mean 'points'?"),
                                            ("Points", ": did you mean 'points'?"), ("zzz", ""), (3, "")])
def test_did_you_mean_names_the_closest_choice_or_nothing(word: object, says: str) -> None:
    assert did_you_mean(word, ["name", "tags", "points", "steps"]) == says
