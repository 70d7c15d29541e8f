"""A lab's own texts in several languages: `{fr: ..., en: ...}` beside plain text, real YAML files
on disk through the real loader; the language picked once (Assignment.in_language, i18n.for_assignment);
a scenario named in any of its languages (requires:, overrides); every bundled lab in both languages."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from grader.assignment import list_labs, load_assignment
from grader.assignment.validation import schema
from grader.edition import collect_checks, select
from grader.errors import AssignmentError
from grader.i18n import LANGUAGES, current, for_assignment, use
from grader.overrides import (
    OverridesError,
    apply_overrides,
    class_overrides,
    lab_targets,
    load_overrides,
    names_as_graded,
)
from grader.results import ClassResult, SubmissionResult
from grader.results import TestResult as Result  # aliased: pytest would try to collect Test*
from tests.unit.test_assignment_load import ASSIGNMENT_YAML, make_assignment

ROOT = Path(__file__).resolve().parents[2]
TWO = """\
name: mini
title: {fr: "TP 0 : écho", en: "Lab 0: echo"}
reference: ref
programs:
  server: {argv: [server.py, "{port}"], kind: server}
"""
SCENARIOS = """\
- name:
    fr: le serveur renvoie une ligne
    en: server echoes one line
  tags: [protocol]
  points: 2
  steps: [{start: server}]
  feedback:
    fr: >
      Bouclez sur recv().
    en: >
      Loop on recv().
- name: {fr: le serveur survit à un reset, en: server survives a reset}
  tags: [robustness]
  points: 3
  requires: [server echoes one line]
  steps: [{start: server}]
  feedback: {fr: Interceptez OSError., en: Catch OSError.}
"""

FRENCH_ONLY = (SCENARIOS.replace("    en: server echoes one line\n", "")
               .replace("    en: >\n      Loop on recv().\n", "")
               .replace(", en: server survives a reset", "").replace(", en: Catch OSError.", "")
               .replace("requires: [server echoes one line]", "requires: [le serveur renvoie une ligne]"))


@pytest.fixture(autouse=True)
def english_after() -> object:
    yield
    use("en")


def lab(tmp_path: Path, scenarios: str = SCENARIOS, meta: str = TWO) -> Path:
    return make_assignment(tmp_path / "mini", {"s.yaml": scenarios}, meta, ("server.py",))


def load_error(folder: Path) -> AssignmentError:
    with pytest.raises(AssignmentError) as excinfo:
        load_assignment(folder)
    return excinfo.value


def test_texts_in_two_languages_load_and_each_language_is_picked(tmp_path: Path) -> None:
    loaded = load_assignment(lab(tmp_path))
    assert loaded.languages == ("en", "fr")
    fr, en = loaded.in_language("fr"), loaded.in_language("en")
    assert [fr.title, *(s.name for s in fr.scenarios)] == ["TP 0 : écho", "le serveur renvoie une ligne",
                                                          "le serveur survit à un reset"]
    assert [s.feedback for s in fr.scenarios] == ["Bouclez sur recv().", "Interceptez OSError."]
    assert [en.title, *(s.feedback for s in en.scenarios)] == ["Lab 0: echo", "Loop on recv().", "Catch OSError."]
    # requires: written in English, it names the scenario in the language picked
    assert fr.scenarios[1].requires == ("le serveur renvoie une ligne",)
    assert en.scenarios[1].requires == ("server echoes one line",)
    assert set(fr.scenarios[0].names) == {"le serveur renvoie une ligne", "server echoes one line"}


def test_the_command_picks_the_language_once(tmp_path: Path) -> None:
    """for_assignment: --lang, else `language:`; everything after it reads plain strings."""
    loaded = load_assignment(lab(tmp_path, meta=TWO + "language: fr\n"))
    assert loaded.title == "TP 0 : écho"  # the loader's default: `language:`
    english = for_assignment(loaded, "en")
    assert (english.language, current(), english.title, english.scenarios[0].name) == (
        "en", "en", "Lab 0: echo", "server echoes one line")
    french = for_assignment(english, None)  # `language:` is gone from a chosen assignment: the chosen one stays
    assert french.scenarios[1].feedback == "Catch OSError."
    assert for_assignment(loaded, "fr").scenarios[1].feedback == "Interceptez OSError."


def test_plain_texts_stay_as_they_are_in_every_language(tmp_path: Path) -> None:
    folder = make_assignment(tmp_path / "mini")
    loaded = load_assignment(folder)
    assert loaded.languages == ()
    for lang in LANGUAGES:
        picked = loaded.in_language(lang)
        assert [(s.name, s.feedback) for s in picked.scenarios] == [("server echoes one line",
                                                                     "Loop on recv() and sendall().")]
        assert picked.title == "mini"


def test_a_requirement_named_in_french_resolves_too(tmp_path: Path) -> None:
    loaded = load_assignment(lab(tmp_path, SCENARIOS.replace("requires: [server echoes one line]",
                                                             "requires: [le serveur renvoie une ligne]")))
    assert loaded.in_language("en").scenarios[1].requires == ("server echoes one line",)
    assert loaded.scenario_named("le serveur renvoie une ligne") is loaded.scenario_named("server echoes one line")


@pytest.mark.parametrize(("scenarios", "line", "words"), [
    (SCENARIOS.replace("    en: server echoes one line", "    de: Server sendet eine Zeile"), 3,
     ["unknown language 'de'", "expected one of: en, fr"]),
    (SCENARIOS.replace("    en: server echoes one line", '    en: ""'), 3, ["is empty"]),
    (SCENARIOS.replace("feedback: {fr: Interceptez OSError., en: Catch OSError.}", 'feedback: {fr: "  ", en: x}'),
     17, ["'  ' does not match: expected some words"]),
    (SCENARIOS.replace("feedback: {fr: Interceptez OSError., en: Catch OSError.}", "feedback: {}"), 17,
     ["is empty"]),
    (SCENARIOS.replace("requires: [server echoes one line]", "requires: [le serveur survit à un reset]"), 12,
     ["requires itself"]),
    (SCENARIOS.replace("{fr: le serveur survit à un reset, en: server survives a reset}",
                       "{fr: le serveur survit à un reset, en: server echoes one line}"), 12,
     ["duplicate scenario name 'server echoes one line'", "first defined at"]),
])
def test_a_bad_text_is_refused_with_file_and_line(tmp_path: Path, scenarios: str, line: int,
                                                  words: list[str]) -> None:
    error = load_error(lab(tmp_path, scenarios))
    assert (error.path.name, error.line) == ("s.yaml", line), str(error)
    for word in words:
        assert word in error.message, error.message


def test_texts_that_do_not_give_the_same_languages_are_refused(tmp_path: Path) -> None:
    only_english = SCENARIOS.replace("feedback: {fr: Interceptez OSError., en: Catch OSError.}",
                                     "feedback: {en: Catch OSError.}")
    error = load_error(lab(tmp_path, only_english))
    assert (error.path.name, error.line) == ("s.yaml", 17)
    assert error.message == (f"this text is written in en, the lab's first text in several languages "
                             f"({tmp_path.resolve() / 'mini' / 'assignment.yaml'}:2) in en, fr: give every text "
                             f"the same languages")


def test_an_unknown_language_in_the_title_is_refused(tmp_path: Path) -> None:
    error = load_error(lab(tmp_path, meta=TWO.replace("en: \"Lab 0: echo\"", "es: \"Lab 0: echo\"")))
    assert (error.path.name, error.line) == ("assignment.yaml", 2)
    assert "unknown language 'es'" in error.message


def test_a_declared_language_the_texts_lack_is_refused(tmp_path: Path) -> None:
    meta = TWO.replace('{fr: "TP 0 : écho", en: "Lab 0: echo"}', '{fr: "TP 0 : écho"}') + "language: en\n"
    error = load_error(lab(tmp_path, FRENCH_ONLY, meta))
    assert (error.path.name, error.line) == ("assignment.yaml", 6)
    assert "language: en, but the lab's texts are written in fr" in error.message


def test_grading_in_a_language_the_lab_lacks_is_a_grader_error_that_says_what_to_do(tmp_path: Path) -> None:
    folder = lab(tmp_path, FRENCH_ONLY, TWO.replace(', en: "Lab 0: echo"', ""))
    loaded = load_assignment(folder)
    assert loaded.title == "TP 0 : écho"
    with pytest.raises(AssignmentError) as excinfo:
        for_assignment(loaded, "en")
    assert str(excinfo.value) == (f"{folder / 'assignment.yaml'}:2: this lab's texts are written in fr, not in en: "
                                  f"grade with --lang fr or add the en text to each of them")


def test_the_schemas_know_labgrades_languages() -> None:
    assert schema("scenarios")["$defs"]["language"]["enum"] == list(LANGUAGES)
    assert schema("assignment")["$defs"]["language"]["enum"] == list(LANGUAGES)


# -- overrides name a scenario in any of its languages --------------------------------------

def graded(name: str) -> ClassResult:
    return ClassResult("mini", (SubmissionResult("ada", (
        Result(name, ("protocol",), 0.0, 2.0, "failed", "Échec à l'étape 1"),)),))


@pytest.mark.parametrize("written", ["server echoes one line", "le serveur renvoie une ligne"])
def test_an_override_names_a_scenario_in_either_language(tmp_path: Path, written: str) -> None:
    french = for_assignment(load_assignment(lab(tmp_path)), "fr")
    path = tmp_path / "overrides.yaml"
    path.write_text(f"- submission: ada\n  scenario: {written}\n  points: 2\n  reason: Corrigé après coup.\n")
    overrides = class_overrides(path, french, ["ada"])
    assert [e.scenario for e in overrides.entries] == ["le serveur renvoie une ligne"]
    (test,) = apply_overrides(graded("le serveur renvoie une ligne"), overrides).submissions[0].tests
    assert (test.score, test.override and test.override.reason) == (2.0, "Corrigé après coup.")
    assert set(lab_targets(french, ["ada"])["ada"].tests) == {"le serveur renvoie une ligne",
                                                              "le serveur survit à un reset"}


def test_one_scenario_overridden_in_both_languages_is_set_twice(tmp_path: Path) -> None:
    english = for_assignment(load_assignment(lab(tmp_path)), "en")
    path = tmp_path / "overrides.yaml"
    path.write_text(textwrap.dedent("""\
        - {submission: ada, scenario: server echoes one line, points: 2, reason: a}
        - {submission: ada, scenario: le serveur renvoie une ligne, points: 1, reason: b}
        """))
    with pytest.raises(OverridesError, match=r"overrides.yaml:2: \"server echoes one line\" of \"ada\" is set twice"):
        load_overrides(path, names_as_graded(english, (s.name for s in english.scenarios)))


# -- the bundled labs: every text in every language -----------------------------------------

BUNDLED = [name for name in list_labs() if (ROOT / "assignments" / name).is_dir()]


def test_every_lab_is_bundled_here() -> None:
    assert BUNDLED == sorted(p.parent.name for p in (ROOT / "assignments").glob("*/assignment.yaml")) != []


@pytest.mark.parametrize("name", BUNDLED)
def test_a_bundled_lab_gives_every_text_in_every_language_french_first(name: str) -> None:
    loaded = load_assignment(ROOT / "assignments" / name)
    assert (loaded.language, loaded.languages) == ("fr", LANGUAGES)
    texts = [("title", loaded.written.get("title"))] + [(f"{s.path.name}:{s.line} {key}", s.written.get(key))
                                                        for s in loaded.scenarios for key in ("name", "feedback")]
    untranslated = [where for where, text in texts if not isinstance(text, dict)]
    assert not untranslated, f"{name}: write these in {', '.join(LANGUAGES)}: {untranslated}"
    french, english = loaded.in_language("fr"), loaded.in_language("en")
    for fr, en in zip(french.scenarios, english.scenarios, strict=True):
        assert fr.name != en.name and fr.feedback != en.feedback, (fr.name, en.name)


def _markers_and_messages(path: Path) -> tuple[list[ast.expr], list[ast.expr]]:
    """The `name=` of each labgrade marker, and the message of each assert, in a check file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = [k.value for node in ast.walk(tree) if isinstance(node, ast.Call) and ast.unparse(node.func).endswith(
        "mark.labgrade") for k in node.keywords if k.arg == "name"]
    messages = [node.msg for node in ast.walk(tree) if isinstance(node, ast.Assert) and node.msg is not None]
    return names, messages


def _languages(text: ast.expr) -> set[str]:
    """The keys of a {language: text} dict, alone or picked with [lang]; none for anything else."""
    if isinstance(text, ast.Subscript):
        text = text.value
    return {k.value for k in text.keys if isinstance(k, ast.Constant)} if isinstance(text, ast.Dict) else set()


@pytest.mark.parametrize("path", sorted((ROOT / "assignments").glob("*/checks/test_*.py")), ids=lambda p: p.name)
def test_a_bundled_check_gives_its_name_and_messages_in_every_language(path: Path) -> None:
    names, messages = _markers_and_messages(path)
    assert names, f"{path}: a check of a bundled lab names itself (name=) in {', '.join(LANGUAGES)}"
    for text in [*names, *messages]:
        assert _languages(text) == set(LANGUAGES), f"{path}:{text.lineno}: write {ast.unparse(text)} in " \
                                                    f"{', '.join(LANGUAGES)}"


def test_plain_assignment_yaml_still_loads_unchanged(tmp_path: Path) -> None:
    assert load_assignment(make_assignment(tmp_path / "plain", meta=ASSIGNMENT_YAML)).title == "mini"


def test_a_check_requiring_a_scenario_left_out_of_the_edition_by_its_other_name_is_left_out(tmp_path: Path) -> None:
    folder = lab(tmp_path, SCENARIOS.replace("  points: 2\n", "  points: 2\n  visibility: hidden\n", 1),
                 TWO + "language: fr\n")
    (folder / "checks").mkdir()
    (folder / "checks" / "test_turns.py").write_text(textwrap.dedent("""\
        import pytest

        @pytest.mark.labgrade(points=1, tags=["protocol"], name={"fr": "à tour de rôle", "en": "taking turns"},
                              requires=["server echoes one line"])
        def test_turns(live_submission, lang):
            assert True, {"fr": "non", "en": "no"}[lang]
        """))
    loaded = load_assignment(folder)  # French: the hidden scenario is "le serveur renvoie une ligne"
    chosen = select(loaded, collect_checks(loaded))
    assert chosen.check_files == ()
    assert chosen.left_out["taking turns"] == "requires 'le serveur renvoie une ligne', which is left out"
