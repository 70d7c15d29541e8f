"""The language of what labgrade writes for people: gettext, standard library only.

Theory of operation. English source strings are the message ids (`_("Failed at step {at}")`,
formatted after translation with named placeholders, so that a translator may reorder the
words); the catalogs are grader/locale/LANG/LC_MESSAGES/labgrade.mo, compiled from the .po beside
them (`./dev.sh i18n`) and committed: they are what runs. The driver and the host share this
module; the catalogs travel into the sandbox with the driver's code (sandbox/base.copy_driver).
One language per process: a driver takes its plan's `lang` (a forked driver runs one plan), a
`grade` command the language it chose (grader/i18n.py), before any text is made. A text kept in
a constant is marked `N_(...)` (extracted, not translated) and translated where it is used
(`Nn_(singular, plural)` for a plural one, given to `ngettext` where it is used).

Numbers. People read a decimal number with their language's decimal symbol: "2.5 / 3 points",
"2,5 / 3 points". DECIMAL_POINT is the one definition of it. A translated message (`_`,
`ngettext`) is a `Message`, whose `format()` writes every int or float placeholder that way
(`{score:g}` -> "2,5"), so that msgids keep Python's format specs; a number written outside a
message (a transcript's times, a table cell) goes through `numeral()`. Machine-readable output
(JSON, CSV, JUnit attributes) never does: it keeps ".".
"""

from __future__ import annotations

import gettext
import string
from functools import cache
from pathlib import Path

DOMAIN = "labgrade"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
ENGLISH = "en"
LANGUAGES = (ENGLISH, "fr")  # assignment.schema.json's `language:` lists the same
DECIMAL_POINT = {ENGLISH: ".", "fr": ","}  # the decimal symbol of each of LANGUAGES


@cache
def translation(lang: str) -> gettext.NullTranslations:
    """The catalog of `lang` (one of LANGUAGES); English is the source text itself."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: labgrade speaks {', '.join(LANGUAGES)}")
    if lang == ENGLISH:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang])  # missing: a broken install, said at once


_current: list[tuple[str, gettext.NullTranslations]] = [(ENGLISH, translation(ENGLISH))]


def use(lang: str | None) -> None:
    """Speak `lang` (None: English) from now on, in this process."""
    _current[0] = (lang or ENGLISH, translation(lang or ENGLISH))


def current() -> str:
    return _current[0][0]


def localized(digits: str) -> str:
    """A number written with "." (`f"{x:.2f}"`, "2.5") as the current language writes it ("2,5")."""
    return digits.replace(".", DECIMAL_POINT[current()])


def numeral(value: float, spec: str = "") -> str:
    """`format(value, spec)` as people read it in the current language: numeral(2.5, "g") is "2,5" in French."""
    return localized(format(value, spec))


class _Numbers(string.Formatter):
    def format_field(self, value: object, format_spec: str) -> str:
        if isinstance(value, int | float) and not isinstance(value, bool):  # a name or a path keeps its dots
            return numeral(value, format_spec)
        return str(super().format_field(value, format_spec))


_NUMBERS = _Numbers()


class Message(str):
    """A translated message: `format()` is str.format with numbers written as the current language does."""

    __slots__ = ()

    def format(self, /, *args: object, **kwargs: object) -> str:
        return _NUMBERS.vformat(self, args, kwargs)


def _(message: str) -> str:
    return Message(_current[0][1].gettext(message))


def ngettext(singular: str, plural: str, n: int) -> str:
    return Message(_current[0][1].ngettext(singular, plural, n))


def N_(message: str) -> str:
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    return singular, plural
