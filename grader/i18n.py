"""Which language a command speaks, and the report templates' gettext.

The language of everything labgrade writes for people is, in this order: the command's
`--lang`, the assignment's `language:` (assignment.yaml), the locale (LC_ALL, LC_MESSAGES, LANG,
the first one set: `fr_FR.UTF-8` is French), else English. `choose` decides, once per command
(`grade` first speaks the command line's `--lang`, else the locale's language, from its start:
its argument errors and a lab that does not load are said in it);
`for_assignment` makes the assignment carry it, so that the pytest runs and the plans sent to
the drivers (`lang`) speak it too, and the result cache keeps each language's feedback apart;
it also picks the lab's own texts in that language (assignment/model.py `in_language`), once:
what comes after reads plain strings.
The catalogs and `_` are the driver's (grader/driver/i18n.py): one gettext for both sides.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

from .assignment import Assignment
from .driver.i18n import ENGLISH, LANGUAGES, N_, Nn_, _, current, localized, ngettext, numeral, translation, use

if TYPE_CHECKING:  # only the report's templates need jinja2: the sandboxes import this module with the standard library
    import jinja2

__all__ = ["ENGLISH", "LANGUAGES", "N_", "Nn_", "_", "choose", "current", "for_assignment", "install", "lang_in",
           "lang_option", "localized", "ngettext", "numeral", "read_back", "translation", "use"]

LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")  # POSIX's order: the first one set decides

# argparse's own words that `grade`'s help and argument errors show, spelled exactly as Python 3.11's
# argparse.py does: it translates them when it writes them, with its module's `_` and `ngettext`, which
# speak labgrade's current language from here on (the catalog holds them, extracted from these N_).
# A section's heading is followed by ":" with no space: French ends "positional arguments" and "options" with one.
ARGPARSE_WORDS = (
    N_("usage: "), N_("positional arguments"), N_("options"), N_("show this help message and exit"),
    N_("%(prog)s: error: %(message)s\n"), N_("argument %(argument_name)s: %(message)s"),
    N_("the following arguments are required: %s"), N_("unrecognized arguments: %s"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"), N_("invalid %(type)s value: %(value)r"),
    N_("expected one argument"), N_("expected at most one argument"), N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"), N_("ignored explicit argument %r"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
)
vars(argparse).update(_=_, ngettext=ngettext)


def choose(option: str | None, declared: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """--lang, else the assignment's `language:`, else the locale's language if labgrade speaks it, else English."""
    if option or declared:
        return str(option or declared)
    locale = next((environ[v] for v in LOCALE_VARIABLES if environ.get(v)), "")
    lang = locale.split(".")[0].split("_")[0].lower()  # fr_FR.UTF-8 -> fr; C, POSIX -> c, posix
    return lang if lang in LANGUAGES else ENGLISH


def lang_in(argv: Sequence[str]) -> str | None:
    """`--lang`'s value in a command line not parsed yet, if it is a language labgrade speaks: what
    `grade` speaks from its start (grader/cli.main), before a lab, if any, is loaded."""
    for arg, after in zip(argv, [*argv[1:], None], strict=True):
        if arg == "--":
            return None
        value = after if arg == "--lang" else arg.removeprefix("--lang=") if arg.startswith("--lang=") else None
        if value in LANGUAGES:
            return value
    return None


def lang_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=LANGUAGES, metavar="LANG",
                        help=_("the language of the messages, feedback, reports and help: en or fr (default: the "
                               "assignment's `language:`, else the locale's, else en)"))


def for_assignment(assignment: Assignment, option: str | None) -> Assignment:
    """Speak the chosen language in this process, and return the assignment that carries it, its own
    texts (title, scenario names, feedback) in that language; AssignmentError when they lack it."""
    lang = choose(option, assignment.language)
    use(lang)
    return replace(assignment.in_language(lang), language=lang)


@cache
def _patterns(message: str) -> tuple[re.Pattern[str], ...]:
    def one(text: str) -> str:
        parts = re.split(r"\{(\w+)(?::[^}]*)?\}", text)  # literal, name, literal, ...
        return "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.*?)" for i, p in enumerate(parts))

    return tuple(re.compile(one(t), re.DOTALL) for t in dict.fromkeys(translation(lang).gettext(message)
                                                                        for lang in LANGUAGES))


def read_back(message: str, text: str) -> dict[str, str] | None:
    """The placeholders' values when `text` is `message` (a msgid) in any language, else None:
    how reporters read the feedback's parts back, whichever language it was graded in."""
    return next((m.groupdict() for p in _patterns(message) if (m := p.fullmatch(text))), None)


def install(env: jinja2.Environment) -> jinja2.Environment:
    """The templates' `_`/`{% trans %}` in the current language (jinja2.ext.i18n)."""
    env.install_gettext_translations(translation(current()), newstyle=True)  # type: ignore[attr-defined]
    return env
