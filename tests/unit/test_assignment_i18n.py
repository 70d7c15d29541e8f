"""What labgrade says about an instructor's files (assignment.yaml, scenarios, mutant.yaml, an
overrides file) speaks the language current when they are loaded, and only it: real YAML files
with the usual mistakes, loaded under use("fr") and use("en"); each message names the file and
line, says the problem in that language and keeps the names (keys, steps, values) as written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.assignment import load_assignment
from grader.assignment.load import read_checked
from grader.assignment.validation import Validator, _explain
from grader.errors import AssignmentError, UsageError
from grader.i18n import use
from grader.overrides import load_overrides
from tests.unit.test_assignment_load import ASSIGNMENT_YAML, BASIC_YAML, HEAD, make_assignment

# words of one language's frame that the other's never says (names, values and paths aside)
ONLY = {
    "en": ["unknown", "did you mean", "expected", "scenario", "step", "missing", "required key", "no client",
           "earlier", "which no scenario", "duplicate", "written in", "give every", "is not allowed", "greater than",
           "not valid", "the file is empty", "is too big"],
    "fr": ["inconnue", "vouliez-vous", "attendu", "scénario", "étape", "obligatoire", "aucun", "précédente",
           "requiert", "en double", "écrit en", "donnez", "permis", "supérieur", "non valide", "le fichier est vide",
           "trop grand"],
}
OTHER = {"fr": "en", "en": "fr"}

SERVER_STARTS = HEAD.replace("name: x", "name: the server starts")
REQUIRES = HEAD + "  requires: [the sever starts]\n" + SERVER_STARTS
# (file, its text, the line to blame, what is said in English, in French)
MISTAKES = {
    "unknown-key": ("scenarios/bad.yaml", HEAD.replace("  points: 2\n", "  pionts: 2\n  points: 2\n"), 3,
                    "scenario \"x\": unknown key 'pionts': did you mean 'points'? (expected one of: name, tags,",
                    "scénario \"x\" : clé inconnue 'pionts' : vouliez-vous dire 'points' ? (attendu l'une de : name, "
                    "tags,"),
    "wrong-type": ("scenarios/bad.yaml", HEAD.replace("points: 2", 'points: "two"'), 3,
                   "scenario \"x\": expected a number, found text 'two'",
                   "scénario \"x\" : attendu un nombre, trouvé du texte 'two'"),
    "out-of-bounds": ("scenarios/bad.yaml", HEAD.replace("points: 2", "points: 1500.5"), 3,
                      "scenario \"x\": 1500.5 is greater than the maximum of 1000: write 1000 or less",
                      "scénario \"x\" : 1500.5 est supérieur au maximum de 1000 : écrivez 1000 ou moins"),
    "missing-key": ("scenarios/bad.yaml", HEAD.replace("  points: 2\n", ""), 1,
                    "scenario \"x\": missing required key 'points'",
                    "scénario \"x\" : clé obligatoire absente : 'points'"),
    "unknown-step": ("scenarios/bad.yaml", HEAD + "    - conect: alice\n", 6,
                     "scenario \"x\", step 2: unknown step 'conect': did you mean 'connect'? (expected one of: start,",
                     "scénario \"x\", étape 2 : étape inconnue 'conect' : vouliez-vous dire 'connect' ? (attendu l'une "
                     "de : start,"),
    "undefined-client": ("scenarios/bad.yaml", HEAD + '    - connect: alice\n    - send: {as: bob, data: "x"}\n', 7,
                         "scenario \"x\", step 3 (send): no client named 'bob' was connected by an earlier step",
                         "scénario \"x\", étape 3 (send) : aucun client nommé 'bob' n'a été connecté par une étape "
                         "précédente"),
    "bad-requires": ("scenarios/bad.yaml", REQUIRES, 1,
                     "scenario \"x\": requires 'the sever starts', which no scenario of the assignment is called: did "
                     "you mean 'the server starts'? (names must match exactly)",
                     "scénario \"x\" : requiert 'the sever starts', nom d'aucun scénario du TP : vouliez-vous dire "
                     "'the server starts' ? (les noms doivent correspondre exactement)"),
    "unknown-language": ("scenarios/bad.yaml", HEAD.replace("name: x", "name: {de: x}"), 1,
                         "scenario #1: unknown language 'de' (expected one of: en, fr)",
                         "scénario n° 1 : langue inconnue 'de' (attendu l'une de : en, fr)"),
    "assignment-key": ("assignment.yaml", ASSIGNMENT_YAML + "titel: Lab\n", 6,
                       "unknown key 'titel': did you mean 'title'? (expected one of: name,",
                       "clé inconnue 'titel' : vouliez-vous dire 'title' ? (attendu l'une de : name,"),
    "program-kind": ("assignment.yaml", ASSIGNMENT_YAML.replace("kind: client", "kind: daemon"), 5,
                     "'daemon' is not allowed here (expected one of: server, client)",
                     "'daemon' n'est pas permis ici (attendu l'une de : server, client)"),
    "empty-file": ("scenarios/bad.yaml", "# nothing yet\n", 1, "the file is empty: expected a list (- item)",
                   "le fichier est vide : attendu une liste (- élément)"),
    "yaml-date": ("scenarios/bad.yaml", HEAD.replace("name: x", "name: 2024-01-01"), 1,
                  "2024-01-01 reads as a date, which no key takes: put it in quotes if it is text",
                  "2024-01-01 se lit comme une date, ce qu'aucune clé ne prend : mettez-le entre guillemets si c'est "
                  "du texte"),
}


@pytest.fixture(autouse=True)
def english_again() -> Iterator[None]:
    yield
    use("en")  # one language per process: the next test reads English again


def speaks(message: str, lang: str, own: tuple[str, ...] = ()) -> None:
    """`message` says none of the other language's frame words (`own`: the lab's own words, paths)."""
    for text in own:
        message = message.replace(text, " ")
    foreign = [w for w in ONLY[OTHER[lang]] if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", message)]
    assert not foreign, f"in {lang}, says {foreign}: {message!r}"


def broken_lab(root: Path, file: str, text: str) -> tuple[Path, Path]:
    """A lab whose `file` holds `text`; the lab's folder and the file's path."""
    if file == "assignment.yaml":
        return make_assignment(root, meta=text), root.resolve() / file
    return make_assignment(root, {Path(file).name: text}), root.resolve() / file


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(("file", "text", "line", "en", "fr"), MISTAKES.values(), ids=MISTAKES)
def test_a_mistake_in_a_lab_is_said_in_the_current_language(tmp_path: Path, lang: str, file: str, text: str,
                                                            line: int, en: str, fr: str) -> None:
    folder, path = broken_lab(tmp_path / "lab", file, text)
    use(lang)
    with pytest.raises(AssignmentError) as excinfo:
        load_assignment(folder)
    error = str(excinfo.value)
    assert error.startswith(f"{path}:{line}: "), error
    assert {"en": en, "fr": fr}[lang] in error, error
    speaks(error, lang, own=(str(tmp_path),))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_duplicate_scenario_name_is_said_in_the_current_language(tmp_path: Path, lang: str) -> None:
    other = "- name: another\n  tags: [protocol]\n  points: 1\n  steps:\n    - start: server\n" + BASIC_YAML
    folder = make_assignment(tmp_path / "lab", {"a.yaml": BASIC_YAML, "b.yaml": other})
    use(lang)
    with pytest.raises(AssignmentError) as excinfo:
        load_assignment(folder)
    first = f"{folder / 'scenarios' / 'a.yaml'}:1"
    assert str(excinfo.value) == f"{folder / 'scenarios' / 'b.yaml'}:6: " + {
        "en": f"duplicate scenario name 'server echoes one line' (first defined at {first}): give each scenario its "
              "own name",
        "fr": f"nom de scénario en double 'server echoes one line' (défini d'abord en {first}) : donnez à chaque "
              "scénario son propre nom"}[lang]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_text_missing_a_language_is_said_in_the_current_language(tmp_path: Path, lang: str) -> None:
    """Texts written in several languages must all give the same ones; a lab written in French only
    cannot be graded in English."""
    meta = ASSIGNMENT_YAML + "title: {fr: Écho, en: Echo}\n"
    folder = make_assignment(tmp_path / "lab", {"basic.yaml": HEAD.replace("name: x", "name: {fr: ping}")}, meta=meta)
    use(lang)
    with pytest.raises(AssignmentError) as excinfo:
        load_assignment(folder)
    first = f"{folder / 'assignment.yaml'}:6"
    assert str(excinfo.value) == f"{folder / 'scenarios' / 'basic.yaml'}:1: " + {
        "en": f"this text is written in fr, the lab's first text in several languages ({first}) in en, fr: give "
              "every text the same languages",
        "fr": f"ce texte est écrit en fr, le premier texte du TP en plusieurs langues ({first}) en en, fr : donnez à "
              "chaque texte les mêmes langues"}[lang]

    (folder / "assignment.yaml").write_text(ASSIGNMENT_YAML + "title: {fr: Écho}\n")
    lab = load_assignment(folder)
    with pytest.raises(AssignmentError) as excinfo:
        lab.in_language("en")
    assert str(excinfo.value) == f"{first}: " + {
        "en": "this lab's texts are written in fr, not in en: grade with --lang fr or add the en text to each of them",
        "fr": "les textes de ce TP sont écrits en fr, pas en en : corrigez avec --lang fr ou ajoutez le texte en à "
              "chacun"}[lang]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_yaml_that_does_not_parse_is_framed_in_the_current_language(tmp_path: Path, lang: str) -> None:
    """The parser's own words (PyYAML's English) are quoted; the frame and the hint are labgrade's."""
    folder, path = broken_lab(tmp_path / "lab", "scenarios/bad.yaml", HEAD.replace("    - start", "\t- start"))
    use(lang)
    with pytest.raises(AssignmentError) as excinfo:
        load_assignment(folder)
    error = str(excinfo.value)
    assert error.startswith(f"{path}:5: " + {"en": "not valid YAML: ", "fr": "YAML non valide : "}[lang]), error
    assert error.endswith({"en": "(indent with spaces: YAML does not allow tabs there)",
                           "fr": "(indentez avec des espaces : YAML n'y permet pas les tabulations)"}[lang]), error


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_mutant_and_overrides_files_are_checked_in_the_current_language(tmp_path: Path, lang: str) -> None:
    mutant, overrides = tmp_path / "mutant.yaml", tmp_path / "overrides.yaml"
    mutant.write_text("description: x\nfails: [cleanup, speed]\n")
    overrides.write_text("- submission: ada\n  points: lots\n  reason: late\n")
    use(lang)
    with pytest.raises(AssignmentError) as excinfo:
        read_checked(mutant, "mutant")
    assert str(excinfo.value).startswith(f"{mutant}:2: " + {
        "en": "unknown tag 'speed' (expected one of: protocol,",
        "fr": "étiquette inconnue 'speed' (attendu l'une de : protocol,"}[lang])
    with pytest.raises(UsageError) as usage:
        load_overrides(overrides)
    assert str(usage.value) == f"{overrides}:2: " + {"en": "expected a number, found text 'lots'",
                                                     "fr": "attendu un nombre, trouvé du texte 'lots'"}[lang]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_value_fitting_none_of_the_alternatives_is_explained_by_the_closest(lang: str) -> None:
    """No schema of labgrade uses anyOf/oneOf today; one that does gets the closest alternative's reason."""
    schema = {"type": "object", "properties": {"each": {"anyOf": [{"type": "integer", "minimum": 1},
                                                                  {"type": "string", "pattern": "^[a-z]+$"}]}}}
    use(lang)
    (error,) = Validator(schema).iter_errors({"each": 0})
    assert _explain(error) == (("each",), {"en": "0 is less than the minimum of 1: write 1 or more",
                                           "fr": "0 est inférieur au minimum de 1 : écrivez 1 ou plus"}[lang])
    (error,) = Validator({"oneOf": [{"type": "integer"}, {"minimum": 0}]}).iter_errors(3)
    assert _explain(error) == ((), {"en": "3 is not one of the forms this key takes",
                                    "fr": "3 n'est aucune des formes que prend cette clé"}[lang])
