"""What an instructor reads on the terminal speaks the language chosen (--lang, else the lab's
`language:`, else the locale), and only it: real `grade new`, `grade scenarios`, `grade selfcheck`,
a class's `grade` run (its summary table and the overrides column), `grade merge`, and the error
paths (a mistyped lab or command, `-j 0`, a bad overrides file), in French and in English.

The lab is made by `grade new` in tmp_path (its own texts, the scenario's name, are the lab's and
stay as written); every run passes --lang, except those that test the other two sources."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.cli import main
from grader.commands.common import console
from grader.i18n import use

# the frame of what `grade` and its sub-commands print, in each language
SAYS = {
    "fr": {
        "new": ["TP my-lab créé dans", "le TP : ses fichiers à rendre et ses programmes", "Ensuite : écrivez",
                "vérifiez le TP :"],
        "scenarios": ["1 scénario(s)", "scénario", "étiquettes", "visibilité", "fichier", "total"],
        "selfcheck": ["Correction de 1 rendu(s) de my-lab dans le bac à sable local", "Durées fixes :", "en cours",
                      "selfcheck my-lab", "variante", "doit échouer", "rien", "attention : my-lab n'a aucun mutant",
                      "1 variante(s) sur 1 notée(s) comme déclaré ; rapports dans"],
        "grade": ["Correction de 2 rendu(s) de my-lab", "my-lab : 2 rendu(s), 1 scénario(s)", "rendu", "étiquettes",
                  "l'enseignant", "note entière : 0,5 au lieu de 0 (en retard)", "Rapports dans",
                  "par rendu"],
        "merge": ["1 dossier(s) fusionné(s) : 2 rendu(s) de my-lab dans"],
        "unknown lab": ["erreur : pas de TP 'my-lb' : vouliez-vous dire 'my-lab' ? (donnez le nom d'un TP"],
        "unknown command": ["erreur : commande inconnue 'selfchek' : vouliez-vous dire 'selfcheck' ?"],
        "-j 0": ["0 est trop peu : 1 ou plus"],
        "bad overrides": ['erreur : TMP/overrides.yaml:1: pas de rendu "bobb" dans cette classe (vouliez-vous dire '
                          '"bob" ?) : écrivez le nom de son dossier'],
    },
    "en": {
        "new": ["Made the lab my-lab in", "the lab: its hand-in files and programs", "Next: write",
                "check the lab:"],
        "scenarios": ["1 scenario(s)", "scenario", "tags", "visibility", "file", "total"],
        "selfcheck": ["Grading 1 submission(s) of my-lab with the local sandbox", "Fixed times:", "running",
                      "selfcheck my-lab", "variant", "must fail", "nothing", "warning: my-lab has no mutant",
                      "1 of 1 variants scored as declared; reports in"],
        "grade": ["Grading 2 submission(s) of my-lab", "my-lab: 2 submission(s), 1 scenario(s)", "submission",
                  "failed", "instructor", "whole grade: 0.5 instead of 0 (en retard)", "Reports in",
                  "per submission"],
        "merge": ["merged 1 folder(s): 2 submission(s) of my-lab in"],
        "unknown lab": ["error: no assignment 'my-lb': did you mean 'my-lab'? (give a lab name"],
        "unknown command": ["error: unknown command 'selfchek': did you mean 'selfcheck'?"],
        "-j 0": ["0 is too few: 1 or more"],
        "bad overrides": ['error: TMP/overrides.yaml:1: no submission "bobb" in this class (did you mean "bob"?): '
                          "write its folder's name"],
    },
}
# words of one language's frame that the other's never says (the lab's own texts aside)
ONLY = {
    "en": ["Grading", "submission", "at a time", "running", "failed", "Fixed times", "scenario(s)", "tags",
           "visibility", "variant", "must fail", "nothing", "warning", "scored as declared", "reports in",
           "Reports in", "the instructor", "instead of", "Made the lab", "Next:", "merged", "error", "did you mean",
           "too few", "no submission", "no assignment", "unknown command"],
    "fr": ["Correction", "rendu(s)", "à la fois", "en cours", "échec", "Durées", "scénario", "étiquettes",
           "visibilité", "variante", "doit échouer", "rien", "attention :", "notée", "rapports", "Rapports",
           "l'enseignant", "au lieu de", "créé", "Ensuite", "fusionné", "erreur", "vouliez-vous", "trop peu",
           "pas de rendu", "pas de TP", "commande inconnue"],
}
OTHER = {"fr": "en", "en": "fr"}


@pytest.fixture(autouse=True)
def english_again() -> Iterator[None]:
    yield
    use("en")  # one language per process: the next test reads English again


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tables as wide as their rows: a cell's words on one line."""
    monkeypatch.setenv("COLUMNS", "250")  # `grade scenarios`'s console
    monkeypatch.setattr(console, "width", 250)  # `grade`'s


def flat(text: str, tmp_path: Path) -> str:
    """One line (a table's cells wrap), the test's own folder names out (they are not what labgrade says)."""
    return " ".join(text.replace(str(tmp_path), "TMP").split())


def said(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> str:
    out, err = capsys.readouterr()
    return flat(out + "\n" + err, tmp_path)


def speaks(text: str, lang: str, what: str, lab_texts: tuple[str, ...] = ()) -> None:
    """`text` holds the frame `SAYS[lang][what]` and none of the other language's words."""
    missing = [words for words in SAYS[lang][what] if flat(words, Path("/nowhere")) not in text]
    assert not missing, f"{what} in {lang}: {missing} not in {text!r}"
    for own in lab_texts:
        text = text.replace(own, " ")
    foreign = [word for word in ONLY[OTHER[lang]] if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text)]
    assert not foreign, f"{what} in {lang} says {foreign}: {text!r}"


def new_lab(tmp_path: Path, lang: str, capsys: pytest.CaptureFixture[str]) -> Path:
    assert main(["new", "my-lab", "--dir", str(tmp_path), "--lang", lang]) == 0
    speaks(said(capsys, tmp_path), lang, "new")
    return tmp_path / "my-lab"


SCENARIO = "server echoes one line"  # the template's scenario: the lab's own words


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_lab_is_made_listed_and_selfchecked_in_the_language_chosen(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str) -> None:
    lab = new_lab(tmp_path, lang, capsys)
    assert main(["scenarios", str(lab), "--lang", lang]) == 0
    speaks(said(capsys, tmp_path), lang, "scenarios", lab_texts=(SCENARIO, "scenarios/server.yaml"))
    shutil.rmtree(lab / "mutants")  # selfcheck warns about a lab without a mutant
    assert main(["selfcheck", str(lab), "--backend", "local", "-o", str(tmp_path / "out"), "--lang", lang]) == 0
    speaks(said(capsys, tmp_path), lang, "selfcheck")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_class_is_graded_and_merged_in_the_language_chosen(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str) -> None:
    lab = new_lab(tmp_path, lang, capsys)
    klass = tmp_path / "class"
    for name in ("ada", "bob"):
        (klass / name).mkdir(parents=True)
        shutil.copy(lab / "reference" / "server.py", klass / name)
    subprocess.run(["patch", "-s", str(klass / "bob" / "server.py"),
                    str(lab / "mutants" / "server-upper-case" / "server.py.patch")], check=True)
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text("- submission: bob\n  points: 0.5\n  reason: en retard\n")
    out = tmp_path / "out"
    assert main([str(klass), "-a", str(lab), "--backend", "local", "-o", str(out), "--overrides", str(overrides),
                 "--no-cache", "--lang", lang]) == 0
    speaks(said(capsys, tmp_path), lang, "grade", lab_texts=("en retard",))
    assert main(["merge", str(out), "-o", str(tmp_path / "whole"), "--lang", lang]) == 0
    speaks(said(capsys, tmp_path), lang, "merge")
    assert {s["name"] for s in json.loads((tmp_path / "whole" / "results.json").read_text())["submissions"]} \
        == {"ada", "bob"}

    overrides.write_text("- submission: bobb\n  points: 0.5\n  reason: en retard\n")  # no such submission
    assert main([str(klass), "-a", str(lab), "--backend", "local", "-o", str(out), "--overrides", str(overrides),
                 "--lang", lang]) == 2
    speaks(said(capsys, tmp_path), lang, "bad overrides", lab_texts=("en retard",))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_errors_speak_the_language_chosen(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    new_lab(tmp_path, lang, capsys)
    monkeypatch.chdir(tmp_path)  # `my-lb` is looked for here too (a folder holding assignment.yaml)
    monkeypatch.setenv("LABGRADE_ASSIGNMENTS", str(tmp_path))  # where lab names are looked up: my-lab
    assert main([str(tmp_path), "-a", "my-lb", "--lang", lang]) == 2
    speaks(said(capsys, tmp_path), lang, "unknown lab")
    assert main(["selfchek", "my-lab", "--lang", lang]) == 2
    speaks(said(capsys, tmp_path), lang, "unknown command")
    with pytest.raises(SystemExit) as stop:  # argparse's frame around it: test_i18n_help.py
        main([str(tmp_path), "-a", "my-lab", "-j", "0", "--lang", lang])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert [words for words in SAYS[lang]["-j 0"] if words not in err] == []


def test_without_lang_the_lab_then_the_locale_decide(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert main(["selfchek", "my-lab"]) == 2  # before any lab: the locale's language
    speaks(said(capsys, tmp_path), "fr", "unknown command")
    lab = new_lab(tmp_path, "en", capsys)  # --lang beats the locale
    assert main(["scenarios", str(lab)]) == 0
    speaks(said(capsys, tmp_path), "fr", "scenarios", lab_texts=(SCENARIO, "scenarios/server.yaml"))

    monkeypatch.delenv("LANG")  # the locale says English, the lab says French: French
    yaml = lab / "assignment.yaml"
    yaml.write_text(yaml.read_text() + "language: fr\n")
    assert main(["scenarios", str(lab)]) == 0
    speaks(said(capsys, tmp_path), "fr", "scenarios", lab_texts=(SCENARIO, "scenarios/server.yaml"))
    assert main(["scenarios", str(lab), "--lang", "en"]) == 0  # --lang beats the lab
    speaks(said(capsys, tmp_path), "en", "scenarios", lab_texts=(SCENARIO, "scenarios/server.yaml"))
