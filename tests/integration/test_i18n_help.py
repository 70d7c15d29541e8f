"""`grade`'s help and argument errors speak the language chosen (--lang, else the locale), argparse's
own words ("usage:", "options:", "error:") too: real `grade --help`, `grade check --help`, `grade
selfcheck --help` and `grade -j x`, in French and in English, and every help text of the parsers
`grade` and `grade check` build."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grader.cli import main
from grader.commands.check import check_parser
from grader.commands.grade import grade_parser
from grader.i18n import use
from grader.run import SIDE_BY_SIDE


@pytest.fixture(autouse=True)
def english_again() -> Iterator[None]:
    yield
    use("en")  # one language per process: the next test reads English again


# the frame of each command's help, in each language: argparse's words and labgrade's
HELP = {
    "grade": {
        "fr": ["utilisation : grade [-h]", "arguments positionnels :", "options :",
               "-h, --help afficher ce message d'aide et quitter", "afficher la version du programme et quitter",
               "Corrige les rendus de TP de sockets TCP dans un bac à sable.", "Sous-commandes : `grade new LAB`",
               f"(par défaut : {SIDE_BY_SIDE} ; 1 : l'un après l'autre)", "une liste YAML d'entrées"],
        "en": ["usage: grade [-h]", "positional arguments:", "options:", "-h, --help show this help message and exit",
               "show program's version number and exit", "Grade TCP socket lab submissions in a sandbox.",
               "Sub-commands: `grade new LAB`", f"(default: {SIDE_BY_SIDE}; 1: one after another)",
               "a YAML list of entries"],
    },
    "check": {
        "fr": ["utilisation : grade check [-h]", "arguments positionnels :", "options :",
               "Lance les tests visibles d'un TP sur votre travail", "le dossier de votre travail",
               "et de l'aide : en ou fr"],
        "en": ["usage: grade check [-h]", "positional arguments:", "options:",
               "Run a lab's visible tests on your work", "the folder of your work", "and help: en or fr"],
    },
    "selfcheck": {
        "fr": ["utilisation : grade selfcheck [-h]", "arguments positionnels :", "options :",
               "Corrige la solution de référence du TP (elle doit obtenir 100 %)", "nom du TP ou dossier du TP",
               "garder la transcription de chaque test"],
        "en": ["usage: grade selfcheck [-h]", "positional arguments:", "options:",
               "Grade the lab's reference (must score 100%)", "lab name or assignment folder",
               "keep the transcript of every test"],
    },
}
OTHER = {"fr": "en", "en": "fr"}


def flat(text: str) -> str:
    return " ".join(text.split())  # argparse wraps to the terminal's width


def shows(text: str, expected: list[str], foreign: list[str]) -> None:
    assert [words for words in expected if words not in text] == [], text
    assert [words for words in foreign if words in text] == [], text


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("command", ["grade", "check", "selfcheck"])
def test_help_speaks_the_language_chosen(command: str, lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*([] if command == "grade" else [command]), "--lang", lang, "--help"]
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 0
    shows(flat(capsys.readouterr().out), HELP[command][lang], HELP[command][OTHER[lang]])


def test_without_lang_the_locale_decides(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    shows(flat(capsys.readouterr().out), HELP["check"]["fr"], HELP["check"]["en"])


ERRORS = {  # argparse's frame around labgrade's own message
    "fr": ["grade : erreur : argument -j/--jobs : 'x' n'est pas un nombre entier",
           "grade : erreur : les arguments suivants sont obligatoires : SUBMISSIONS",
           "grade : erreur : argument --backend : choix invalide : 'dockr' (choisir parmi 'auto', 'local',"],
    "en": ["grade: error: argument -j/--jobs: 'x' is not a whole number",
           "grade: error: the following arguments are required: SUBMISSIONS",
           "grade: error: argument --backend: invalid choice: 'dockr' (choose from 'auto', 'local',"],
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_argument_errors_speak_the_language_chosen(lang: str, capsys: pytest.CaptureFixture[str]) -> None:
    said = []
    for argv in (["-j", "x", "."], [], ["--backend", "dockr", "."]):
        with pytest.raises(SystemExit) as stop:
            main([*argv, "--lang", lang])
        assert stop.value.code == 2
        said.append(flat(capsys.readouterr().err))
    for text, expected, foreign in zip(said, ERRORS[lang], ERRORS[OTHER[lang]], strict=True):
        shows(text, [expected, "utilisation : grade" if lang == "fr" else "usage: grade"], [foreign])


@pytest.mark.parametrize("parser", [grade_parser, check_parser])
def test_every_help_text_is_translated(parser: object) -> None:
    """Each option's help, the description and the epilog (if any) differ in French: none was left out of _()."""
    def texts() -> list[str | None]:
        p = parser()  # type: ignore[operator]
        return [p.description, p.epilog, *(a.help for a in p._actions)]

    use("fr")
    french = texts()
    use("en")
    english = texts()
    same = [e for e, f in zip(english, french, strict=True) if e is not None and e == f]
    assert same == [], same
