"""`grade` says what is wrong with a lab's files in the language it speaks from its start (--lang,
else the locale), whole: the frame ("error in the assignment") and the file:line detail. The lab's
own `language:` is in the file being loaded, so it cannot choose the language of that file's
problems: real `grade new` and `grade scenarios` runs on real files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.cli import main
from grader.i18n import use

BROKEN = "- name: ping\n  tags: [protocol]\n  pionts: 2\n  steps:\n    - conect: alice\n"
SAYS = {
    "fr": ["erreur dans le TP : TMP/my-lab/scenarios/bad.yaml:1: scénario \"ping\" : clé obligatoire absente : "
           "'points'",
           "TMP/my-lab/scenarios/bad.yaml:3: scénario \"ping\" : clé inconnue 'pionts' : vouliez-vous dire 'points' ? "
           "(attendu l'une de : name,",
           "TMP/my-lab/scenarios/bad.yaml:5: scénario \"ping\", étape 1 : étape inconnue 'conect' : vouliez-vous dire "
           "'connect' ? (attendu l'une de : start,"],
    "en": ["error in the assignment: TMP/my-lab/scenarios/bad.yaml:1: scenario \"ping\": missing required key "
           "'points'",
           "TMP/my-lab/scenarios/bad.yaml:3: scenario \"ping\": unknown key 'pionts': did you mean 'points'? "
           "(expected one of: name,",
           "TMP/my-lab/scenarios/bad.yaml:5: scenario \"ping\", step 1: unknown step 'conect': did you mean "
           "'connect'? (expected one of: start,"],
}


@pytest.fixture(autouse=True)
def english_again() -> Iterator[None]:
    yield
    use("en")  # one language per process: the next test reads English again


def err(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> list[str]:
    return capsys.readouterr().err.replace(str(tmp_path), "TMP").splitlines()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_bad_lab_name_is_said_in_the_language_chosen(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       lang: str) -> None:
    assert main(["new", "Bad_Name", "--dir", str(tmp_path), "--lang", lang]) == 2
    assert err(capsys, tmp_path) == [{
        "fr": "erreur : 'Bad_Name' ne peut pas être le nom d'un TP : attendu un nom de TP (lettres minuscules, "
              "chiffres et -), par exemple echo-threads",
        "en": "error: 'Bad_Name' cannot be a lab's name: expected a lab name (lower-case letters, digits and -), "
              "e.g. echo-threads"}[lang]]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_broken_lab_is_said_in_the_language_chosen(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    assert main(["new", "my-lab", "--dir", str(tmp_path), "--lang", "en"]) == 0
    lab = tmp_path / "my-lab"
    (lab / "scenarios" / "bad.yaml").write_text(BROKEN)
    capsys.readouterr()
    assert main(["scenarios", str(lab), "--lang", lang]) == 2
    rows = err(capsys, tmp_path)
    assert [row[:len(start)] for row, start in zip(rows, SAYS[lang], strict=True)] == SAYS[lang]

    # without --lang: the locale's language, even for a lab that declares another (its `language:`
    # is read from the files being loaded)
    monkeypatch.setenv("LANG", f"{lang}_{lang.upper()}.UTF-8")
    other = {"fr": "en", "en": "fr"}[lang]
    (lab / "assignment.yaml").write_text((lab / "assignment.yaml").read_text() + f"language: {other}\n")
    assert main(["scenarios", str(lab)]) == 2
    rows = err(capsys, tmp_path)
    assert [row[:len(start)] for row, start in zip(rows, SAYS[lang], strict=True)] == SAYS[lang]
