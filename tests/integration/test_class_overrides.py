"""Grade overrides on real class runs: `grade --overrides FILE` (every report, a regrade from the
cache), shards and `grade merge --overrides FILE`, and bad files refused before anything is graded.

The class is two or three copies of the echo-iterative reference (one with a server that does not
compile) graded with the trimmed lab of test_classrun.py.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console

from grader.cli import main
from grader.commands.grade import summary
from grader.results import ClassResult
from grader.shard import Shard
from tests.integration.test_classrun import log_head, make_class, make_lab, results

ECHO, CHECK = "server echoes one line", "a Python check echoes"
WHY_BOB = "Your server compiled on the Python of the lab room: full marks for the echo."
WHY_CHECK = "The check was fixed after your hand-in."
WHY_ADA = "Handed in a day late: half a point off."
OVERRIDES = f"""\
- submission: bob
  scenario: {ECHO}
  points: 2
  reason: "{WHY_BOB}"
- submission: bob
  scenario: {CHECK}      # a check written in Python: known once graded
  points: 1
  reason: {WHY_CHECK}
- submission: ada
  points: 5.5
  reason: "{WHY_ADA}"
"""


def grade(klass: Path, lab: Path, out: Path, cache: Path, *extra: str) -> None:
    assert main([str(klass), "-a", str(lab), "--backend", "local", "-j", "2", "-o", str(out),
                 "--cache-dir", str(cache), *extra]) == 0


@pytest.mark.slow
def test_grade_applies_the_overrides_to_every_report_and_a_regrade_keeps_them(tmp_path: Path) -> None:
    lab = make_lab(tmp_path, checks=True)
    klass = make_class(tmp_path, {"ada": "good", "bob": "syntax"})
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(OVERRIDES)
    cache = tmp_path / "cache"
    grade(klass, lab, tmp_path / "first", cache, "--overrides", str(overrides))
    out = tmp_path / "first"

    saved = {s["name"]: s for s in results(out)["submissions"]}
    ada, bob = saved["ada"], saved["bob"]
    assert (ada["score"], ada["max_score"]) == (5.5, 6)
    assert ada["override"] == {"points": 5.5, "graded": 6.0, "reason": WHY_ADA}
    assert [t["score"] for t in ada["tests"]] == [2, 2, 1, 1]  # the tests keep what the grader gave
    bob_tests = {t["name"]: t for t in bob["tests"]}
    assert bob_tests[ECHO]["override"] == {"points": 2.0, "graded": 0.0, "reason": WHY_BOB}
    assert (bob_tests[ECHO]["score"], bob_tests[ECHO]["status"]) == (2, "failed")  # the grader saw it fail
    assert bob_tests[CHECK]["override"] == {"points": 1.0, "graded": 0.0, "reason": WHY_CHECK}
    assert bob["score"] == 4 and "override" not in bob  # 2 + 1 set, and the client's unreachable-server test

    with (out / "grades.csv").open(newline="", encoding="utf-8") as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    assert (rows["ada"]["score"], rows["ada"]["overrides"]) == ("5.5", f"whole grade: 5.5 instead of 6 ({WHY_ADA})")
    assert (rows["bob"]["score"], rows["bob"][ECHO]) == ("4", "2")
    assert rows["bob"]["overrides"] == f"{ECHO}: 2 instead of 0 ({WHY_BOB}) | {CHECK}: 1 instead of 0 ({WHY_CHECK})"

    suites = {s.get("name"): s for s in ET.parse(out / "junit.xml").getroot()}
    assert suites["ada"].find("properties/property[@name='score']").get("value") == "5.5"
    echo = suites["bob"].find(f"testcase[@name='{ECHO}']/properties/property[@name='override']")
    assert echo is not None and echo.get("value") == f"{ECHO}: 2 instead of 0 ({WHY_BOB})"

    page = (out / "report.html").read_text()
    for line in (f"whole grade: 5.5 instead of 6 ({WHY_ADA})", f"{ECHO}: 2 instead of 0 ({WHY_BOB})"):
        assert f"<li>{line}</li>" in page

    student = json.loads((out / "bob" / "results.json").read_text())
    echo_output = next(t["output"] for t in student["tests"] if t["name"] == ECHO)
    assert echo_output.startswith(f"Your instructor set the points of this test to 2 (the grader gave 0). "
                                  f"Why: {WHY_BOB}\n\n")
    assert student["score"] == 4
    student = json.loads((out / "ada" / "results.json").read_text())
    assert (student["score"], student["output"]) == (5.5, f"5.5 / 6 points\nYour instructor set your grade to 5.5 / 6 "
                                                          f"(the tests add up to 6). Why: {WHY_ADA}")

    terminal = Console(width=400, record=True)
    terminal.print(summary(ClassResult.from_json(results(out))))
    table = terminal.export_text()
    assert "set by the instructor (--overrides)" in table
    assert f"whole grade: 5.5 instead of 6 ({WHY_ADA})" in table

    grade(klass, lab, tmp_path / "again", cache, "--overrides", str(overrides))
    assert "all 4 unit(s) from the cache, nothing run" in log_head(tmp_path / "again", "ada")
    assert results(tmp_path / "again") == results(out)  # the cache holds the grades, the file the overrides

    grade(klass, lab, tmp_path / "plain", cache)  # without the file: what the grader gave
    plain = {s["name"]: s for s in results(tmp_path / "plain")["submissions"]}
    assert (plain["ada"]["score"], plain["bob"]["score"]) == (6, 1)
    assert "override" not in json.dumps(plain)


@pytest.mark.slow
def test_shards_apply_their_own_and_merge_checks_and_keeps_them(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    lab = make_lab(tmp_path)
    klass = make_class(tmp_path, {"ada": "good", "dee": "syntax", "gus": "good"})
    # gus's copy made different from ada's: two identical hand-ins share their cache entries (the
    # last one graded writes them), and the merged class would show gus's durations for ada
    with (klass / "gus" / "server.py").open("a") as f:
        f.write("# gus\n")
    assert [n for n in ("ada", "dee", "gus") if Shard(1, 2).holds(n)] == ["ada"]  # shard 2 has dee and gus
    overrides = tmp_path / "overrides.yaml"
    # no Python check in this lab: 5 points in all
    overrides.write_text(OVERRIDES.replace(CHECK, "server serves two clients in turn").replace("5.5", "4.5")
                         .replace("bob", "dee"))
    cache = tmp_path / "cache"
    given = ("--overrides", str(overrides))
    grade(klass, lab, tmp_path / "single", cache, *given)
    grade(klass, lab, tmp_path / "s1", cache, "--shard", "1/2", *given)  # dee's entries are shard 2's: let be
    grade(klass, lab, tmp_path / "s2", cache, "--shard", "2/2", *given)
    assert results(tmp_path / "s1")["submissions"][0]["override"]["reason"] == WHY_ADA

    shards = [str(tmp_path / "s1"), str(tmp_path / "s2")]
    assert main(["merge", *shards, "-o", str(tmp_path / "kept")]) == 0  # the shards' overrides are kept
    assert results(tmp_path / "kept") == results(tmp_path / "single")
    assert main(["merge", *shards, "-o", str(tmp_path / "merged"), *given]) == 0
    assert results(tmp_path / "merged") == results(tmp_path / "single")

    fewer = tmp_path / "fewer.yaml"  # ada's entry taken out: the file given is the whole truth
    fewer.write_text(overrides.read_text().split("- submission: ada")[0])
    assert main(["merge", *shards, "-o", str(tmp_path / "fewer"), "--overrides", str(fewer)]) == 0
    merged = {s["name"]: s for s in results(tmp_path / "fewer")["submissions"]}
    assert "override" not in merged["ada"] and merged["ada"]["score"] == 5
    assert merged["dee"]["score"] == 4  # 2 set, 1 set, and the client's test

    capsys.readouterr()
    stranger = tmp_path / "stranger.yaml"
    stranger.write_text("- {submission: gus, points: 1, reason: ok}\n- {submission: guss, points: 1, reason: ok}\n")
    assert main(["merge", *shards, "-o", str(tmp_path / "refused"), "--overrides", str(stranger)]) == 2
    assert f'error: {stranger}:2: no submission "guss" in this class (did you mean "gus"?)' in capsys.readouterr().err
    assert not (tmp_path / "refused").exists()


BAD = {
    "- {submission: adda, points: 1, reason: typo}\n":
        ':1: no submission "adda" in this class (did you mean "ada"?): write its folder\'s name',
    "- {submission: ada, scenario: server echoes a line, points: 1, reason: typo}\n":
        f':1: no scenario "server echoes a line" in this lab (did you mean "{ECHO}"?)',
    "- {submission: ada, scenario: client reports an unreachable server, points: 2, reason: too much}\n":
        ':1: 2 points is more than "client reports an unreachable server" is worth (1): give 0 to 1',
    "- {submission: ada, points: 1, reason: ok}\n- {submission: ada, points: 1, resaon: ok}\n":
        ":2: missing required key 'reason'",
}


@pytest.mark.parametrize("text", BAD)
@pytest.mark.parametrize("shard", [(), ("--shard", "2/2")])  # ada is shard 1's: still refused
def test_a_bad_file_stops_grade_before_it_grades(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                                 shard: tuple[str, ...]) -> None:
    lab = make_lab(tmp_path)
    klass = make_class(tmp_path, {"ada": "good", "bob": "good"})
    overrides = tmp_path / "overrides.yaml"
    overrides.write_text(text)
    out = tmp_path / "out"
    assert main([str(klass), "-a", str(lab), "-o", str(out), "--no-cache", "--overrides", str(overrides),
                 *shard]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and f"{overrides}{BAD[text]}" in err, err
    assert not (out / "results.json").exists()
