"""The language of what labgrade writes for people: gettext, standard library only.

Theory of operation. English source strings are the message ids (`_("Failed at step {at}")`,
formatted after translation with named placeholders, so that a translator may reorder the
words); the catalogs are grader/locale/LANG/LC_MESSAGES/labgrade.mo, compiled from the .po beside
them (`./dev.sh i18n`) and committed: they are what runs. The driver and the host share this
module; the catalogs travel into the sandbox with the driver's code (sandbox/base.copy_driver).
One language per process: a driver takes its plan's `lang` (a forked driver runs one plan), a
`grade` command the language it chose (grader/i18n.py), before any text is made. A text kept in
a constant is marked `N_(...)` (extracted, not translated) and translated where it is used.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

DOMAIN = "labgrade"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
ENGLISH = "en"
LANGUAGES = (ENGLISH, "fr")  # assignment.schema.json's `language:` lists the same


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


def _(message: str) -> str:
    return _current[0][1].gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _current[0][1].ngettext(singular, plural, n)


def N_(message: str) -> str:
    return message
