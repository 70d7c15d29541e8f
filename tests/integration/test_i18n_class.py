"""A class graded in French has no English left in what its students read, and the other way
round: a real `grade` run (local sandbox) of the bundled example class, its results.json (each
test's name and output), each Gradescope results.json and report.html's text; the lab's own texts
too (scenario names, `feedback:` paragraphs), written in both languages in the bundled lab.
Numbers for people take the language's decimal symbol ("20,5 / 21 points", "0,015s"); the
machine-readable reports keep "." whatever the language."""

from __future__ import annotations

import csv
import html
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from grader.assignment import find_assignment, load_assignment
from grader.cli import main
from grader.i18n import use

REPO = Path(__file__).resolve().parents[2]
CLASS = REPO / "examples" / "echo-iterative"  # a correct submission, one that fails 3 tests, one that fails 1
# a grade with a decimal: alice (full marks, 21) is set to 20.5; the reason is the instructor's own words
OVERRIDES = "- submission: echo-iterative-alice\n  points: 20.5\n  reason: '-0.5 (retard)'\n"
# the frame of the feedback and the reports, as a student reads it
WORDS = {
    "en": ["Failed at step", "expected:", "observed:", "What to check", "Transcript", "Passed", "points",
           "step failed", "connected", "received"],
    "fr": ["Échec à l'étape", "attendu :", "observé :", "À vérifier", "Déroulement", "Réussi", "points",
           "échec de l'étape", "connecté", "reçu"],
}
ENGLISH_ONLY = ["Failed at step", "expected:", "observed:", "What to check", "Transcript", "Passed in", "Passed.",
                "step failed", "closed by peer", "killed by", "exited with", "sent by the grader", "Not run",
                "hidden tests", "class report", "Summary", "submission(s)", "not graded", "grader error"]
FRENCH_ONLY = ["Échec à l'étape", "attendu :", "observé :", "À vérifier", "Déroulement", "Réussi", "Non exécuté",
               "échec de l'étape", "fermée par le pair", "a été tué par", "correcteur", "Résumé", "rendu(s)"]


def flat(text: str) -> str:
    return " ".join(text.split())


LAB = load_assignment(find_assignment("echo-iterative"))
# the lab's own texts as its students read them in each language: scenario names, feedback paragraphs
OWN = {lang: {"names": [flat(s.name) for s in LAB.in_language(lang).scenarios],
              "feedback": {flat(s.name): flat(s.feedback) for s in LAB.in_language(lang).scenarios}}
       for lang in ("fr", "en")}


def student_texts(out: Path) -> dict[str, str]:
    """What the students read, by where: each test's name and output, the Gradescope files, report.html's text."""
    results = json.loads((out / "results.json").read_text())
    texts = {f"results.json {s['name']}": "\n\n".join(f"{t['name']}\n{t['output']}" for t in s["tests"]) + "\n"
             + "\n".join(s.get("findings", [])) for s in results["submissions"]}
    for path in out.glob("*/results.json"):
        texts[str(path.relative_to(out))] = path.read_text()
    page = (out / "report.html").read_text()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    texts["report.html"] = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return {where: flat(text) for where, text in texts.items()}


def lab_texts_left(lang: str, text: str) -> list[str]:
    """The lab's own texts of `lang` found in `text`."""
    return [t for t in [*OWN[lang]["names"], *OWN[lang]["feedback"].values()] if t and t in text]


@pytest.fixture(scope="module")
def outs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folders = {}
    overrides = tmp_path_factory.mktemp("overrides") / "overrides.yaml"
    overrides.write_text(OVERRIDES)
    for lang in ("fr", "en"):
        folders[lang] = tmp_path_factory.mktemp(lang)
        assert main([str(CLASS), "-a", "echo-iterative", "--backend", "local", "-o", str(folders[lang]),
                     "--no-cache", "--lang", lang, "--overrides", str(overrides)]) == 0
    use("en")
    return folders


@pytest.fixture(scope="module")
def graded(outs: dict[str, Path]) -> dict[str, dict[str, str]]:
    return {lang: student_texts(out) for lang, out in outs.items()}


@pytest.mark.parametrize(("lang", "foreign"), [("fr", ENGLISH_ONLY), ("en", FRENCH_ONLY)])
def test_a_class_graded_in_one_language_has_none_of_the_other(graded: dict[str, dict[str, str]], lang: str,
                                                               foreign: list[str]) -> None:
    texts = graded[lang]
    assert len([w for w in texts if w.endswith("results.json") and "/" in w]) == 3  # a Gradescope file each
    every = " ".join(texts.values())
    assert all(word in every for word in WORDS[lang]), [w for w in WORDS[lang] if w not in every]
    left = {where: [w for w in foreign if w in text] for where, text in texts.items()}
    assert not any(left.values()), {where: words for where, words in left.items() if words}


@pytest.mark.parametrize(("lang", "other"), [("fr", "en"), ("en", "fr")])
def test_the_lab_speaks_the_language_of_the_class(outs: dict[str, Path], graded: dict[str, dict[str, str]],
                                                   lang: str, other: str) -> None:
    """Every scenario's name in the chosen language in every report, each failed test's feedback in it,
    and none of the lab's texts in the other language anywhere."""
    for where, text in graded[lang].items():
        if where != "report.html" and not where.startswith("results.json"):  # a Gradescope file: one submission
            assert [n for n in OWN[lang]["names"] if n not in text] == [], where
        assert lab_texts_left(other, text) == [], where
    assert [n for n in OWN[lang]["names"] if n not in graded[lang]["report.html"]] == []
    results = json.loads((outs[lang] / "results.json").read_text())
    failed = [(t["name"], flat(t["output"])) for s in results["submissions"] for t in s["tests"]
              if t["status"] == "failed"]
    assert len(failed) == 4  # bob fails 3 tests, carol 1
    for name, output in failed:
        assert OWN[lang]["feedback"][name] in output, name


def test_the_grades_do_not_depend_on_the_language(outs: dict[str, Path]) -> None:
    scores = {lang: {s["name"]: (s["score"], s["max_score"])
                     for s in json.loads((out / "results.json").read_text())["submissions"]}
              for lang, out in outs.items()}
    assert scores["fr"] == scores["en"] and len(scores["fr"]) == 3


# a number as each language writes it: the decimal symbol, and what must never appear
DECIMAL = {"fr": (",", "."), "en": (".", ",")}
PASSED = {"fr": r"Réussi en \d+{d}\d\d s\.", "en": r"Passed in \d+{d}\d\d s\."}
GRADE = {"fr": "Votre enseignant a fixé votre note à 20,5 / 21", "en": "Your instructor set your grade to 20.5 / 21"}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_numbers_for_people_take_the_languages_decimal_symbol(outs: dict[str, Path], lang: str) -> None:
    out, (point, other) = outs[lang], DECIMAL[lang]
    d = re.escape(point)
    alice = json.loads((out / "echo-iterative-alice" / "results.json").read_text())
    assert f"20{point}5 / 21 points" in alice["output"] and GRADE[lang] in alice["output"]
    outputs = [t["output"] for s in json.loads((out / "results.json").read_text())["submissions"] for t in s["tests"]]
    assert any(re.fullmatch(PASSED[lang].format(d=d), o) for o in outputs)  # a passed test's time
    times = [line for o in outputs for line in o.splitlines() if re.match(r"\s+\d+[.,]\d{3}s  ", line)]
    assert times and all(re.match(rf"\s+\d+{d}\d{{3}}s  ", line) for line in times)  # each transcript line
    page = html.unescape((out / "report.html").read_text())
    assert f">20{point}5 / 21<" in page.replace("<sup", "<").replace("</td>", "<")  # the grid's score
    assert re.search(rf'<td class="t">\d+{d}\d{{3}}s</td>', page)  # the transcript table
    assert not re.search(rf'<td class="t">\d+{re.escape(other)}\d{{3}}s</td>', page)
    assert re.search(rf"<title>\d+{d}\d{{3}}s  ", page)  # a timeline mark's details
    assert 'data-v="20.5"' in page  # what the page sorts on stays a number


def test_machine_readable_reports_keep_the_decimal_point(outs: dict[str, Path]) -> None:
    """results.json, grades.csv and junit.xml are read by tools: the same bytes of numbers in both languages."""
    for out in outs.values():
        alice = next(s for s in json.loads((out / "results.json").read_text())["submissions"]
                     if s["name"] == "echo-iterative-alice")
        assert alice["score"] == 20.5
        rows = csv.DictReader((out / "grades.csv").read_text().splitlines())
        row = next(r for r in rows if r["submission"] == alice["name"])
        assert (row["score"], row["percent"]) == ("20.5", "97.6")
        suite = next(s for s in ET.parse(out / "junit.xml").getroot() if s.get("name") == alice["name"])
        props = {p.get("name"): p.get("value") for p in suite.iter("property")}
        assert (props["score"], props["percent"]) == ("20.5", "97.6")
        assert all(re.fullmatch(r"\d+\.\d{3}", c.get("time", "")) for c in suite.iter("testcase"))


CHECK_WORDS = {"fr": ["Vérification de", "ÉCHEC", "Tests visibles :", "Échec à l'étape", "attendu :", "Déroulement"],
               "en": ["Checking", "FAILED", "Visible tests", "Failed at step", "expected:", "Transcript"]}


@pytest.mark.parametrize(("lang", "other"), [("fr", "en"), ("en", "fr")])
def test_grade_check_speaks_the_students_language(capsys: pytest.CaptureFixture[str], lang: str, other: str) -> None:
    """`grade check --lang`: what a student reads before the hand-in, all in that language, the lab's words too."""
    try:
        assert main(["check", str(CLASS / "echo-iterative-bob"), "-a", "echo-iterative", "--backend", "local",
                     "--lang", lang]) == 1
    finally:
        use("en")
    said = flat(capsys.readouterr().out)
    for word in (*CHECK_WORDS[lang], LAB.in_language(lang).title, *OWN[lang]["names"]):
        assert word in said, word
    for word in (*CHECK_WORDS[other], LAB.in_language(other).title):
        assert word not in said, word
    assert lab_texts_left(other, said) == []
    assert [n for n, feedback in OWN[lang]["feedback"].items() if feedback in said] != []  # bob's failures'
    if lang == "fr":
        for english in ("passed", "points;"):
            assert english not in said, english
