"""The catalogs (complete, compiled as committed), the choice of a language, and the catalog
travelling with the driver: real files, real Babel, a real interpreter running the driver's copy."""

from __future__ import annotations

import io
import re
import string
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from grader.assignment import load_assignment
from grader.driver import i18n as driver_i18n
from grader.errors import AssignmentError
from grader.i18n import LANGUAGES, _, choose, lang_in, ngettext, numeral, read_back, use
from grader.report.gradebook import number, points
from grader.sandbox.base import copy_driver
from tests.unit.test_assignment_load import ASSIGNMENT_YAML, make_assignment

REPO = Path(__file__).resolve().parents[2]
LOCALE = REPO / "grader" / "locale"
TRANSLATED = [lang for lang in LANGUAGES if lang != "en"]


@pytest.fixture(autouse=True)
def english_again() -> Iterator[None]:
    yield
    use("en")  # one language per process: the next test reads English again


def extracted() -> dict[str, str | tuple[str, ...]]:
    """Every message the code and templates hold, as `./dev.sh i18n` extracts them (babel.cfg)."""
    with open(REPO / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "Nn_": (1, 2)}
    found: dict[str, str | tuple[str, ...]] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
            str(REPO / "grader"), method_map, options_map, keywords=keywords):
        key = message if isinstance(message, str) else message[0]
        found[key] = message
        assert key, f"grader/{filename}: an empty message"
    return found


def placeholders(text: str) -> list[str]:
    """`{name}`, `{n:g}` and `%(name)s` placeholders (the report template's), sorted."""
    braces = [field for _lit, field, spec, conv in string.Formatter().parse(text) if field is not None]
    return sorted(braces + re.findall(r"%\((\w+)\)", text))


def catalog(lang: str) -> dict[str, object]:
    with open(LOCALE / lang / "LC_MESSAGES" / "labgrade.po", "rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0]: m for m in read_po(f) if m.id}


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_has_a_translation_with_the_same_placeholders(lang: str) -> None:
    messages, translated = extracted(), catalog(lang)
    assert len(messages) > 300  # the extraction found the code (babel.cfg's paths are right)
    problems = []
    for key, message in messages.items():
        entry = translated.get(key)
        if entry is None:
            problems.append(f"missing: {key!r}")
            continue
        assert isinstance(entry.string, (str, tuple))  # type: ignore[attr-defined]
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string)  # type: ignore[attr-defined]
        sources = [message] if isinstance(message, str) else list(message)
        if entry.fuzzy or not all(strings):  # type: ignore[attr-defined]
            problems.append(f"untranslated or fuzzy: {key!r}")
        elif any(placeholders(s) != placeholders(sources[-1]) for s in strings[1:]) or \
                placeholders(strings[0]) != placeholders(sources[0]):
            problems.append(f"placeholders differ: {key!r} -> {strings!r}")
    assert not problems, f"grader/locale/{lang}/LC_MESSAGES/labgrade.po (run ./dev.sh i18n, then translate):\n" \
        + "\n".join(problems)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_the_committed_mo_is_the_compiled_po(lang: str) -> None:
    folder = LOCALE / lang / "LC_MESSAGES"
    with open(folder / "labgrade.po", "rb") as f:
        compiled = io.BytesIO()
        write_mo(compiled, read_po(f))
    assert (folder / "labgrade.mo").read_bytes() == compiled.getvalue(), "run ./dev.sh i18n and commit the .mo"


def test_the_language_is_the_option_then_the_assignment_then_the_locale() -> None:
    assert choose("fr", "en", {"LC_ALL": "en_US.UTF-8"}) == "fr"
    assert choose("en", "fr", {}) == "en"
    assert choose(None, "fr", {"LC_ALL": "en_US.UTF-8"}) == "fr"
    assert choose(None, None, {"LANG": "fr_FR.UTF-8"}) == "fr"
    assert choose(None, None, {"LC_ALL": "C.UTF-8", "LANG": "fr_FR.UTF-8"}) == "en"  # LC_ALL first
    assert choose(None, None, {"LC_MESSAGES": "fr_CA", "LANG": "en_GB.UTF-8"}) == "fr"
    assert choose(None, None, {"LC_ALL": "", "LANG": "fr"}) == "fr"  # an empty variable is not set
    assert choose(None, None, {"LANG": "de_DE.UTF-8"}) == "en"  # a language labgrade does not speak
    assert choose(None, None, {"LANG": "C"}) == "en"
    assert choose(None, None, {}) == "en"


def test_the_command_lines_lang_is_known_before_it_is_parsed() -> None:
    """What `grade` speaks from its start, before its arguments are parsed (a bad one is said in it)."""
    assert lang_in(["class/", "-a", "queue", "--lang", "fr", "-j", "0"]) == "fr"
    assert lang_in(["selfcheck", "queue", "--lang=fr"]) == "fr"
    assert lang_in(["class/", "--lang", "de"]) is None  # argparse refuses it: the locale says so
    assert lang_in(["class/", "--lang"]) is None
    assert lang_in(["--", "--lang", "fr"]) is None  # after --, a folder's name
    assert lang_in(["class/", "-a", "queue"]) is None


def test_the_assignment_declares_its_language(tmp_path: Path) -> None:
    folder = make_assignment(tmp_path / "fr", meta=ASSIGNMENT_YAML + "language: fr\n")
    assert load_assignment(folder).language == "fr"
    assert load_assignment(make_assignment(tmp_path / "none")).language is None
    folder = make_assignment(tmp_path / "de", meta=ASSIGNMENT_YAML + "language: de\n")
    with pytest.raises(AssignmentError) as e:
        load_assignment(folder)
    assert str(e.value).endswith("assignment.yaml:6: 'de' is not allowed here (expected one of: en, fr)")


def test_reporters_read_the_feedback_back_in_any_language() -> None:
    use("fr")
    head = _("Last lines {name} wrote on stderr ({exit}):").format(name="server", exit="exited with code 1")
    use("en")
    assert read_back("Last lines {name} wrote on stderr ({exit}):", head) == {"name": "server",
                                                                              "exit": "exited with code 1"}
    assert read_back("Not run: {why}", "Not run: client.py is missing") == {"why": "client.py is missing"}
    assert read_back("Not run: {why}", "Failed at step 1 of 2") is None


def test_the_driver_copy_speaks_french_with_the_standard_library_alone(tmp_path: Path) -> None:
    lib = copy_driver(tmp_path / "lib")
    assert (lib / "grader" / "locale" / "fr" / "LC_MESSAGES" / "labgrade.mo").is_file()
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from grader.driver import i18n; i18n.use('fr'); "
            "print(i18n._('step failed')); print(i18n.ngettext('{n} byte', '{n} bytes', 2).format(n=2)); "
            "print(i18n._('Passed in {seconds:.2f} s.').format(seconds=0.214)); "
            "print(sorted(m for m in sys.modules if m.startswith('grader')))")
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(lib)], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[:3] == ["échec de l'étape", "2 octets", "Réussi en 0,21 s."]
    assert out[3] == str(["grader", "grader.driver", "grader.driver.i18n"])  # from the copy, nothing else
    assert driver_i18n.LOCALE_DIR == REPO / "grader" / "locale"


@pytest.mark.parametrize(("lang", "point"), [("en", "."), ("fr", ",")])
def test_a_translated_message_writes_its_numbers_with_the_languages_decimal_symbol(lang: str, point: str) -> None:
    use(lang)
    assert _("{score:g} / {max_score:g} points").format(score=2.5, max_score=3) == f"2{point}5 / 3 points"
    assert _("Not run: {why}").format(why=1.25) == _("Not run: {why}").format(why=f"1{point}25")  # no spec: str()
    assert ngettext("{n} byte", "{n} bytes", 2).format(n=2) in ("2 bytes", "2 octets")  # an int has no decimals
    # names and paths keep their dots, whatever they hold; so do non-numbers formatted with a spec
    assert _("{path} cannot be read ({why}).").format(path="tp2.zip/v1.5/server.py", why="0.5") \
        .startswith("tp2.zip/v1.5/server.py")
    assert _("Not run: {why}").format(why=True).endswith("True")
    assert numeral(0.0154, "8.3f") == f"   0{point}015" and numeral(1e6, "g") == "1e+06"
    assert points(29.0) == "29" and points(1 / 3) == f"0{point}3333"
    assert number(1 / 3) == "0.3333"  # grades.csv's, in every language


def test_each_language_has_one_decimal_symbol() -> None:
    assert set(driver_i18n.DECIMAL_POINT) == set(LANGUAGES)
