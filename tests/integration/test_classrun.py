"""Class runs at scale: the result cache, shards and `grade merge`, and Ctrl-C.

The class runs use a trimmed copy of echo-iterative (three short scenarios, and a check written
in Python where the cache of checks is the point): the lab itself is not what is tested here.
"""

from __future__ import annotations

import contextlib
import ctypes
import dataclasses
import io
import json
import os
import pickle
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from grader.assignment import load_assignment
from grader.cache import CHECKS_UNIT, Keys, ResultCache, Unit, default_cache_dir, tree_digest
from grader.classrun import GRADING_INI
from grader.cli import main
from grader.merge import merge, write_shard_note
from grader.mutants import load_mutant, materialize
from grader.report import write_all
from grader.results import ClassResult, SubmissionResult, TestResult
from grader.shard import Shard
from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
GRADE = [sys.executable, "-c", "import sys; from grader.cli import main; sys.exit(main())"]
WORKFLOW = REPO / "docs" / "workflows" / "grade-class-sharded.yml"

SCENARIOS = """\
- name: server echoes one line
  tags: [protocol]
  points: 2
  steps:
    - start: server
    - connect: alice
    - send: {as: alice, data: "hello, server\\n"}
    - expect: {as: alice, data: "hello, server\\n", within: WITHIN}
- name: server serves two clients in turn
  tags: [protocol]
  points: 2
  steps:
    - start: server
    - connect: c1
    - send: {as: c1, data: "first\\n"}
    - expect: {as: c1, data: "first\\n"}
    - close: c1
    - connect: c2
    - send: {as: c2, data: "second\\n"}
    - expect: {as: c2, data: "second\\n"}
- name: client reports an unreachable server
  tags: [errors]
  points: 1
  steps:
    - start: {program: client, as: cli}
    - wait_exit: {of: cli, code: 1, within: 5}
"""

CHECK = """\
import pytest


@pytest.mark.labgrade(points=1, tags=["protocol"], name="a Python check echoes")
def test_echo(live_submission):
    box = live_submission()
    box.step("start", "server")
    box.step("connect", {"as": "alice"})
    box.step("send", {"as": "alice", "data": "hi\\n"})
    box.step("expect", {"as": "alice", "data": "hi\\n"})
"""

SILENT_SERVER = """\
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
held = s.accept()[0]  # accepts, never answers: asleep, it might wake up, so its scenario runs to its deadline
time.sleep(3600)
"""


def make_lab(where: Path, within: float = 3, checks: bool = False) -> Path:
    lab = where / "lab"
    (lab / "scenarios").mkdir(parents=True)
    (lab / "assignment.yaml").write_text(
        f"name: echo-iterative\ntitle: trimmed\nreference: {REPO / 'reference' / 'echo-iterative'}\nprograms:\n"
        '  server: {argv: [server.py, "{port}"], kind: server}\n'
        '  client: {argv: [client.py, "{host}", "{port}"], kind: client}\n')
    (lab / "scenarios" / "s.yaml").write_text(SCENARIOS.replace("WITHIN", str(within)))
    if checks:
        (lab / "checks").mkdir()
        (lab / "checks" / "test_check.py").write_text(CHECK)
    return lab


def make_class(where: Path, names: dict[str, str]) -> Path:
    """names: submission -> "good" (the reference), "syntax" (a server that does not parse), "silent"
    (a server graded until its scenarios' deadlines)."""
    klass = where / "class"
    for name, kind in names.items():
        shutil.copytree(REPO / "reference" / "echo-iterative", klass / name)
        if kind == "syntax":
            (klass / name / "server.py").write_text("def broken(:\n")
        elif kind == "silent":
            (klass / name / "server.py").write_text(SILENT_SERVER)
    return klass


def results(out: Path) -> dict[str, Any]:
    return dict(json.loads((out / "results.json").read_text()))


def scores(out: Path) -> dict[str, dict[str, tuple[float, str, bool]]]:
    return {s["name"]: {t["name"]: (t["score"], t["status"], t["error"]) for t in s["tests"]}
            for s in results(out)["submissions"]}


# -- the result model, shards, keys and entries (no processes) -----------------------------

def test_results_json_round_trips_everything_the_reporters_read() -> None:
    klass = ClassResult("echo-iterative", (
        SubmissionResult("ada", (TestResult("a", ("protocol",), 1.5, 2.0, "failed", "out\u2028put", "hidden",
                                            error=True, duration=0.123),)),
        SubmissionResult("bob", (), error="not graded: too many files")))
    assert ClassResult.from_json(json.loads(json.dumps(klass.to_json()))) == klass
    with pytest.raises(ValueError, match=r"not a labgrade results\.json"):
        ClassResult.from_json({"tests": []})


def test_shards_partition_the_class_by_name() -> None:
    names = [f"echo-iterative-student{i}" for i in range(200)]
    for n in (1, 2, 3, 7):
        shards = [[x for x in names if Shard(k, n).holds(x)] for k in range(1, n + 1)]
        assert sorted(x for shard in shards for x in shard) == sorted(names)  # each name in exactly one shard
        assert all(len(s) > 200 / n / 2 for s in shards)  # and none starved
    assert Shard.parse("2/4") == Shard(2, 4)
    for bad in ("0/2", "3/2", "1", "a/b", "1/0"):
        with pytest.raises(ValueError, match="K/N"):
            Shard.parse(bad)


def test_submission_digest_follows_what_stage_copies(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    (sub / "pkg").mkdir(parents=True)
    (sub / "server.py").write_text("print(1)\n")
    (sub / "pkg" / "util.py").write_text("x = 1\n")
    first = tree_digest(sub)
    for ignored in (".git/HEAD", "__pycache__/server.cpython-311.pyc", "pkg/util.pyc", "node_modules/x.js"):
        (sub / ignored).parent.mkdir(exist_ok=True)
        (sub / ignored).write_text("noise")
    assert tree_digest(sub) == first
    def relink() -> None:
        (sub / "link").unlink()
        (sub / "link").symlink_to("/etc/shadow")

    changes: list[Callable[[], object]] = [
        lambda: (sub / "server.py").write_text("print(2)\n"),
        lambda: (sub / "server.py").chmod(0o755),
        lambda: (sub / "pkg" / "util.py").rename(sub / "pkg" / "util2.py"),
        lambda: (sub / "link").symlink_to("/etc/passwd"),
        relink,
        lambda: (sub / "empty").mkdir(),
    ]
    seen = {first}
    for change in changes:
        change()
        digest = tree_digest(sub)
        assert digest is not None and digest not in seen
        seen.add(digest)
    os.mkfifo(sub / "fifo")  # reading it would block: not cacheable, and never read
    assert tree_digest(sub) is None


def test_one_changed_scenario_changes_its_key_only(tmp_path: Path) -> None:
    lab = make_lab(tmp_path, checks=True)
    sub = make_class(tmp_path, {"ada": "good"}) / "ada"
    keys = {u.name: u.key for u in Keys(load_assignment(lab), "local").for_submission(sub) or []}
    assert set(keys) == {"server echoes one line", "server serves two clients in turn",
                         "client reports an unreachable server", CHECKS_UNIT}
    assert {u.name: u.key for u in Keys(load_assignment(lab), "local").for_submission(sub) or []} == keys
    text = (lab / "scenarios" / "s.yaml").read_text()
    (lab / "scenarios" / "s.yaml").write_text("\n\n# moved down: lines do not matter\n" + text)
    assert {u.name: u.key for u in Keys(load_assignment(lab), "local").for_submission(sub) or []} == keys
    (lab / "scenarios" / "s.yaml").write_text(text.replace("points: 1", "points: 3"))
    changed = {u.name: u.key for u in Keys(load_assignment(lab), "local").for_submission(sub) or []}
    assert {n for n in keys if keys[n] != changed[n]} == {"client reports an unreachable server"}
    (lab / "checks" / "test_check.py").write_text(CHECK + "\n# changed\n")
    changed2 = {u.name: u.key for u in Keys(load_assignment(lab), "local").for_submission(sub) or []}
    assert {n for n in changed if changed[n] != changed2[n]} == {CHECKS_UNIT}
    other_backend = {u.name: u.key for u in Keys(load_assignment(lab), "docker").for_submission(sub) or []}
    assert not set(other_backend.values()) & set(changed2.values())
    (sub / "client.py").write_text((sub / "client.py").read_text() + "\n")
    assert not {u.key for u in Keys(load_assignment(lab), "local").for_submission(sub) or []} & set(changed2.values())


def test_cache_entries(tmp_path: Path) -> None:
    cache = ResultCache(tmp_path / "c")
    unit, other = Unit("echo", "ab" + "0" * 62), Unit("echo", "cd" + "0" * 62)
    passed = TestResult("echo", ("protocol",), 2.0, 2.0, "passed", "Passed.", duration=0.01)
    assert cache.get(unit) is None
    assert cache.put(unit, (passed,))
    assert cache.get(unit) == (passed,)
    assert cache.get(other) is None
    assert not cache.put(other, (TestResult("echo", (), 0.0, 2.0, "failed", "grader fault", error=True),))
    assert cache.get(other) is None  # a grader error is never cached
    entry = next((tmp_path / "c").rglob(f"{unit.key}.json"))
    for corrupt in ("{", "[]", '{"format": 1}', entry.read_text().replace('"echo"', '"other"')):
        entry.write_text(corrupt)
        assert cache.get(unit) is None  # ignored ...
    assert cache.put(unit, (passed,))  # ... and overwritten
    assert cache.get(unit) == (passed,)
    assert not list((tmp_path / "c").rglob(".tmp-*"))
    (tmp_path / "c" / "mine.txt").write_text("not the cache's")
    assert cache.info().entries == 1
    assert cache.clear() == 1
    assert cache.info().entries == 0 and (tmp_path / "c" / "mine.txt").exists()


def test_cache_dir_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LABGRADE_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / ".cache" / "labgrade"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "labgrade"
    monkeypatch.setenv("LABGRADE_CACHE", str(tmp_path / "mine"))
    assert default_cache_dir() == tmp_path / "mine"


def test_cache_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cache = ResultCache(tmp_path)
    cache.put(Unit("x", "ef" + "1" * 62), (TestResult("x", (), 1.0, 1.0, "passed"),))
    assert main(["cache", "info", "--cache-dir", str(tmp_path)]) == 0
    assert "1 cached result(s)" in capsys.readouterr().out
    assert main(["cache", "clear", "--cache-dir", str(tmp_path)]) == 0
    assert "removed 1 cached result(s)" in capsys.readouterr().out
    assert cache.info().entries == 0


def test_printed_names_are_text_not_markup() -> None:
    """A folder name is the student's to choose: `[/bold]` in it must neither crash nor style the output."""
    from rich.console import Console

    from grader.commands.grade import summary

    console = Console(file=io.StringIO(), width=200)
    console.print(summary(ClassResult("echo-iterative", (SubmissionResult("[/bold]mallory[red]", ()),))))
    assert "[/bold]mallory[red]" in console.file.getvalue()  # type: ignore[attr-defined]


def shard_folder(tmp_path: Path, name: str, klass: ClassResult) -> Path:
    write_all(klass, tmp_path / name)
    return tmp_path / name


def test_merge_refuses_what_does_not_belong_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ada = SubmissionResult("ada", (TestResult("t", (), 1.0, 1.0, "passed"),))
    one = shard_folder(tmp_path, "one", ClassResult("echo-iterative", (ada,)))
    two = shard_folder(tmp_path, "two", ClassResult("echo-iterative", (ada,)))
    other = shard_folder(tmp_path, "other", ClassResult("queue", ()))
    assert main(["merge", str(one), str(two), "-o", str(tmp_path / "m")]) == 2
    assert f"submission 'ada' is in both {one} and {two}: the shards overlap" in capsys.readouterr().err
    assert main(["merge", str(one), str(other), "-o", str(tmp_path / "m")]) == 2
    assert "different assignments" in capsys.readouterr().err
    assert main(["merge", str(one), str(tmp_path / "nothing"), "-o", str(tmp_path / "m")]) == 2
    assert "results.json: not found" in capsys.readouterr().err
    bob = SubmissionResult("bob", (TestResult("t", (), 0.0, 1.0, "failed"),))
    three = shard_folder(tmp_path, "three", ClassResult("echo-iterative", (bob,)))
    empty = shard_folder(tmp_path, "empty", ClassResult("echo-iterative", ()))
    for folder, shard in ((one, "1/3"), (three, "3/3"), (empty, "2/3")):
        write_shard_note(folder, shard)
    assert main(["merge", str(one), str(three), "-o", str(tmp_path / "m")]) == 2
    assert "shard(s) 2/3 missing" in capsys.readouterr().err
    write_shard_note(empty, "2/4")
    assert main(["merge", str(one), str(three), str(empty), "-o", str(tmp_path / "m")]) == 2
    assert "different splits" in capsys.readouterr().err
    write_shard_note(empty, "3/3")
    assert main(["merge", str(one), str(three), str(empty), "-o", str(tmp_path / "m")]) == 2
    assert "shard 3/3 is given twice" in capsys.readouterr().err
    assert not (tmp_path / "m").exists()
    write_shard_note(empty, "2/3")
    assert main(["merge", str(one), str(three), str(empty), "-o", str(tmp_path / "m")]) == 0
    assert [s.name for s in ClassResult.from_json(results(tmp_path / "m")).submissions] == ["ada", "bob"]


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_merge_writes_exactly_what_one_run_writes(tmp_path: Path) -> None:
    """Reports depend on the results only (no timestamps): a merge equals write_all of the whole class."""
    def sub(name: str, score: float) -> SubmissionResult:
        return SubmissionResult(name, (TestResult("t <1>", ("protocol",), score, 2.0, "passed" if score else "failed",
                                                  "it said: \x1b[31m<b>", duration=0.5 + score),
                                       TestResult("u", ("cleanup",), 0.0, 1.0, "failed", "grader", error=True)))
    whole = ClassResult("echo-iterative", (sub("ada", 2), sub("bob", 0), sub("cy", 1)))
    write_all(whole, tmp_path / "single")
    shards = [shard_folder(tmp_path, "s1", ClassResult("echo-iterative", (whole.submissions[1],))),
              shard_folder(tmp_path, "s2", ClassResult("echo-iterative", (whole.submissions[2], whole.submissions[0])))]
    assert main(["merge", *map(str, shards), "-o", str(tmp_path / "merged")]) == 0
    assert tree_bytes(tmp_path / "merged") == tree_bytes(tmp_path / "single")


# -- whole class runs -----------------------------------------------------------------------

def log_head(out: Path, name: str) -> str:
    return (out / "logs" / f"{name}.log").read_text()


@pytest.mark.slow
def test_cache_skips_what_is_unchanged_and_regrades_one_changed_scenario(tmp_path: Path) -> None:
    lab = make_lab(tmp_path, checks=True)
    klass = make_class(tmp_path, {"ada": "good", "bob": "syntax"})
    cache = tmp_path / "cache"

    def grade(out: str, *extra: str) -> dict[str, dict[str, tuple[float, str, bool]]]:
        assert main([str(klass), "-a", str(lab), "--backend", "local", "-j", "2", "-o", str(tmp_path / out),
                     "--cache-dir", str(cache), *extra]) == 0
        return scores(tmp_path / out)

    first = grade("first")
    assert first["ada"] == {"server echoes one line": (2, "passed", False),
                            "server serves two clients in turn": (2, "passed", False),
                            "client reports an unreachable server": (1, "passed", False),
                            "a Python check echoes": (1, "passed", False)}
    assert {t: s[0] for t, s in first["bob"].items()} == {**dict.fromkeys(first["ada"], 0),
                                                          "client reports an unreachable server": 1}
    assert "grading all units" in log_head(tmp_path / "first", "ada")

    again = grade("again")
    assert again == first
    assert results(tmp_path / "again") == results(tmp_path / "first")  # the same results, durations included
    for name in ("ada", "bob"):
        assert "all 4 unit(s) from the cache, nothing run" in log_head(tmp_path / "again", name)

    scenarios = lab / "scenarios" / "s.yaml"
    scenarios.write_text(scenarios.read_text().replace("points: 1", "points: 3"))
    third = grade("third")
    for name in ("ada", "bob"):
        log = log_head(tmp_path / "third", name)
        assert "grading 1 unit(s), 3 from the cache" in log
        assert "1 passed" in log and "deselected" in log
    assert third["ada"]["client reports an unreachable server"] == (3, "passed", False)

    (lab / "checks" / "test_check.py").write_text(CHECK + "\n# a change to the check\n")
    grade("fourth")
    log = log_head(tmp_path / "fourth", "ada")
    assert "grading 1 unit(s), 3 from the cache" in log and "1 passed" in log

    grade("uncached", "--no-cache")
    assert "grading all units" in log_head(tmp_path / "uncached", "ada")


@pytest.mark.slow
def test_side_by_side_grades_as_one_at_a_time(tmp_path: Path) -> None:
    """Scenarios graded side by side (the default) give what one at a time gives: the same
    statuses and scores, in the same order, and a scenario whose requirement failed (a scenario or
    a check written in Python) is not run in both."""
    lab = REPO / "assignments" / "echo-concurrent"
    klass = tmp_path / "class"
    shutil.copytree(REPO / "reference" / "echo-concurrent", klass / "good")
    for mutant in ("iterative", "threads", "no-reap"):
        materialize(load_assignment(lab), load_mutant(lab / "mutants" / mutant), klass / mutant)

    def grade(width: int) -> list[tuple[str, list[tuple[str, float, str, bool]]]]:
        out = tmp_path / f"out-{width}"
        assert main([str(klass), "-a", str(lab), "--backend", "local", "-j", "2", "-o", str(out), "--no-cache",
                     "--side-by-side", str(width)]) == 0
        return [(s["name"], [(t["name"], t["score"], t["status"], t["error"]) for t in s["tests"]])
                for s in results(out)["submissions"]]

    one_at_a_time, side_by_side = grade(1), grade(4)
    assert side_by_side == one_at_a_time
    by_name = dict(side_by_side)
    assert all(status == "passed" for _, _, status, _ in by_name["good"])
    assert sum(status == "not_run" for _, _, status, _ in by_name["iterative"]) >= 4  # those requiring a child
    assert any(status == "failed" for _, _, status, _ in by_name["no-reap"])


@pytest.mark.slow
def test_shards_then_merge_give_the_single_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lab = make_lab(tmp_path)
    klass = make_class(tmp_path, {"ada": "good", "dee": "syntax", "gus": "good"})
    assert [n for n in ("ada", "dee", "gus") if Shard(1, 2).holds(n)] == ["ada"]  # both shards have work

    def grade(out: str, *extra: str) -> None:
        assert main([str(klass), "-a", str(lab), "--backend", "local", "-o", str(tmp_path / out), "--no-cache",
                     *extra]) == 0

    capsys.readouterr()
    grade("single")
    out = capsys.readouterr().out  # not a terminal: a plain line per finished submission, no escape codes
    assert sorted(re.findall(r"^\[\d/3\] (\w+): (\d+) / 5 ", out, re.M)) == [("ada", "5"), ("dee", "1"), ("gus", "5")]
    assert "\x1b" not in out
    grade("s1", "--shard", "1/2")
    grade("s2", "--shard", "2/2")
    assert [s["name"] for s in results(tmp_path / "s1")["submissions"]] == ["ada"]
    assert main(["merge", str(tmp_path / "s2"), str(tmp_path / "s1"), "-o", str(tmp_path / "merged")]) == 0
    assert scores(tmp_path / "merged") == scores(tmp_path / "single")
    assert sorted(p.name for p in (tmp_path / "merged" / "logs").iterdir()) == ["ada.log", "dee.log", "gus.log"]
    merged = ClassResult.from_json(results(tmp_path / "merged"))
    write_all(merged, tmp_path / "rewritten")
    assert tree_bytes(tmp_path / "rewritten") == {k: v for k, v in tree_bytes(tmp_path / "merged").items()
                                                  if not k.startswith("logs/")}
    assert merge([(tmp_path / "s1", ClassResult.from_json(results(tmp_path / "s1"))),
                  (tmp_path / "s2", ClassResult.from_json(results(tmp_path / "s2")))]) == merged


def workflow_runs(job: dict[str, Any], step: str) -> str:
    return str(next(s["run"] for s in job["steps"] if s.get("name") == step))


@pytest.mark.slow
def test_sharded_workflow_parses_and_its_commands_work(tmp_path: Path) -> None:
    flow = yaml.safe_load(WORKFLOW.read_text())
    grade_job, merge_job = flow["jobs"]["grade"], flow["jobs"]["merge"]
    shards = grade_job["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, int(flow["env"]["SHARDS"]) + 1))
    assert merge_job["needs"] == "grade"
    download = next(s for s in merge_job["steps"] if "download-artifact" in s.get("uses", ""))
    assert download["with"] == {"pattern": "shard-*", "path": "shards"}
    grade_cmd, merge_cmd = workflow_runs(grade_job, "Grade this shard"), workflow_runs(merge_job, "Merge the shards")

    lab = make_lab(tmp_path)
    make_class(tmp_path, {"ada": "good", "dee": "syntax", "gus": "good"})
    env = {**os.environ, "LAB": str(lab), "SUBMISSIONS": "class", "SHARDS": str(len(shards)),
           "LABGRADE_CACHE": str(tmp_path / "cache"), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    assert grade_job["env"]["SHARD"] == "${{ matrix.shard }}" and "${{" not in grade_cmd  # no expression in a script
    for k in shards:  # what each runner does, then what download-artifact lays out for the merge job
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", grade_cmd], cwd=tmp_path, env={**env, "SHARD": str(k)},
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        shutil.copytree(tmp_path / f"shard-{k}", tmp_path / "shards" / f"shard-{k}")
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", merge_cmd], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    report = tmp_path / "grading-report"
    assert {s["name"]: s["score"] for s in results(report)["submissions"]} == {"ada": 5, "dee": 1, "gus": 5}
    assert (report / "grades.csv").is_file() and (report / "junit.xml").is_file() and (report / "report.html").is_file()
    assert shlex.split(grade_cmd)[0] == shlex.split(merge_cmd)[0] == "grade"


# -- Ctrl-C -------------------------------------------------------------------------------

PR_SET_CHILD_SUBREAPER = 36


@contextlib.contextmanager
def subreaper(spare: Callable[[], int | None]) -> Iterator[None]:
    """Orphans of the run become our children, so that a leftover cannot hide by reparenting; a
    thread reaps those that end, as init would (a zombie nobody reaps keeps its cgroup busy), but
    never the child `spare()` names (the grade process: Popen waits for it)."""
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    stop = threading.Event()

    def reap() -> None:
        while not stop.is_set():
            try:
                ended = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                ended = None
            if ended is not None and ended.si_pid != spare():
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(ended.si_pid, 0)
            else:
                stop.wait(0.01)  # no event tells a subreaper that an orphan ended but SIGCHLD (main thread's)

    reaper = threading.Thread(target=reap, daemon=True)
    reaper.start()
    try:
        yield
    finally:
        stop.set()
        reaper.join()
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)


def processes() -> dict[int, tuple[int, str, int]]:
    """pid -> (parent pid, start time, uid) of every process."""
    found = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (d / "stat").read_text().rsplit(")", 1)[1].split()
                uid = int(next(line for line in (d / "status").read_text().splitlines()
                                if line.startswith("Uid:")).split()[1])
                found[int(d.name)] = (int(stat[1]), stat[19], uid)
    return found


def descendants(root: int, procs: dict[int, tuple[int, str, int]]) -> dict[int, tuple[int, str, int]]:
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, (ppid, _, _) in procs.items() if ppid in tree} - tree
        tree |= more
        grew = bool(more)
    return {pid: procs[pid] for pid in tree - {root} if pid in procs}


def cgroup_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return ""


def run_containers(run_id: str) -> list[str]:
    """`docker ps -aq --filter label=labgrade.run=RUN` (through the SDK: no child process)."""
    import docker  # type: ignore[import-untyped]

    client = docker.from_env(timeout=60)
    try:
        return [c["Id"] for c in client.api.containers(all=True, filters={"label": f"labgrade.run={run_id}"})]
    finally:
        client.close()


def run_cgroups(run_id: str) -> list[Path]:
    """The cgroups the local sandbox made for this run (it names them labgrade-RUN-ID)."""
    root = Path("/sys/fs/cgroup")
    return [*root.glob(f"labgrade-{run_id[:12]}-*"), *root.glob(f"*/labgrade-{run_id[:12]}-*")]


STOPS = {  # how `grade` is stopped -> what is sent, and to whom
    "ctrl-c": lambda pid: os.killpg(pid, signal.SIGINT),  # a terminal's Ctrl-C: the foreground group
    "sigterm": lambda pid: os.kill(pid, signal.SIGTERM),  # `kill`, a cancelled CI job: grade alone
    "sigkill": lambda pid: os.kill(pid, signal.SIGKILL),  # grade dies at once: its pytest runs must follow
}


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "stop"), [
    ("local", "ctrl-c"), pytest.param("docker", "ctrl-c", marks=pytest.mark.docker),
    ("local", "sigterm"), ("local", "sigkill"), pytest.param("docker", "sigkill", marks=pytest.mark.docker)])
def test_stopping_grade_keeps_what_was_graded_and_leaves_nothing_running(backend: str, stop: str,
                                                                         tmp_path: Path) -> None:
    lab = make_lab(tmp_path, within=60)
    klass = make_class(tmp_path, {"a-good": "good", "b-silent": "silent", "c-silent": "silent", "d-good": "good"})
    out, cache = tmp_path / "out", tmp_path / "cache"
    run_id = f"ctrlc{os.getpid()}"
    scratch = Path(tempfile.mkdtemp(prefix="labgrade-ctrlc-"))  # the run's temporary files go here
    scratch.chmod(0o755)
    env = {**os.environ, "LABGRADE_RUN_ID": run_id, "TMPDIR": str(scratch)}
    # this process's own children from before (a session's sandbox backend): not the run's leftovers
    ours = {(pid, p) for pid, p in processes().items() if p[0] == os.getpid()}
    try:
        grade_pid: list[int] = []
        with subreaper(lambda: grade_pid[0] if grade_pid else None):
            grade = subprocess.Popen([*GRADE, str(klass), "-a", str(lab), "--backend", backend, "-j", "1",
                                      "-o", str(out), "--cache-dir", str(cache)], cwd=REPO, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
            grade_pid.append(grade.pid)
            try:
                seen: dict[int, tuple[int, str, int]] = {}

                def second_submission_running() -> bool:
                    seen.update(descendants(grade.pid, processes()))
                    if grade.poll() is not None or not (out / "logs" / "b-silent.log").exists():
                        return False
                    if backend == "docker":  # in the class's warm container: not a descendant of grade
                        return any(uid == 65534 and f"labgrade-{run_id}" in cgroup_of(pid)
                                   for pid, (_, _, uid) in processes().items())
                    return any(uid == 65534 for _, _, uid in descendants(grade.pid, processes()).values())

                wait_for(lambda: list(cache.rglob("*.json")) or None, 120, "the first submission in the cache")
                wait_for(second_submission_running, 120, "the second submission's sandbox")
                STOPS[stop](grade.pid)
                output, _ = grade.communicate(timeout=30)  # STOP_GRACE is 5 s; a clean stop takes ~1-2 s
            finally:
                if grade.poll() is None:
                    os.killpg(grade.pid, signal.SIGKILL)
                    grade.wait()
                if grade.stdout:  # communicate() closes it, unless it timed out
                    grade.stdout.close()
            text = output.decode(errors="replace")
            assert grade.returncode == (-signal.SIGKILL if stop == "sigkill" else 130), text

            def leftovers() -> dict[int, tuple[int, str, int]] | None:
                procs = processes()
                left = {pid: p for pid, p in seen.items() if procs.get(pid, (0, "", 0))[1] == p[1]}
                left |= {pid: p for pid, p in procs.items() if p[0] == os.getpid() and (pid, p) not in ours}
                return left or None

            # polling /proc: a process's end is not an event we can wait on here; the kernel may still be
            # tearing a namespace down, and frees a cgroup once its last process is reaped
            wait_for(lambda: not leftovers(), 10, "the run's processes to end")
            wait_for(lambda: not run_cgroups(run_id), 10, "the run's cgroups to go")
        assert seen, "the test never saw the run's processes"
        if backend == "docker":
            wait_for(lambda: not run_containers(run_id), 30, "the run's containers to go")
        if stop == "sigkill":  # nothing could be written; nothing may run on
            return
        assert "Interrupted: kept 1 graded submission(s)" in text
        assert "not graded: 3 (b-silent, c-silent, d-good)" in text
        assert [s["name"] for s in results(out)["submissions"]] == ["a-good"]
        assert results(out)["submissions"][0]["score"] == 5
        assert not list(scratch.iterdir()), f"temporary files left: {list(scratch.iterdir())}"
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


HOLDER = """
import json, sys, tempfile
from pathlib import Path
from grader.sandbox.local import LocalSandbox
sub = Path(tempfile.mkdtemp(dir=sys.argv[1]))
sub.chmod(0o755)
(sub / "server.py").write_text("import socket, sys, time\\ns = socket.socket()\\ns.bind(('', int(sys.argv[1])))\\n"
                               "s.listen(5)\\nc, _ = s.accept()\\ntime.sleep(600)\\n")
box = LocalSandbox()
box.start({"type": "plan",
           "steps": [{"start": "server"}, {"connect": "c"}, {"expect": {"as": "c", "data": "never", "within": 60}}],
           "early": False, "timeout": 120, "port": 24680, "seed": 1,
           "programs": {"server": {"argv": ["server.py", "{port}"], "kind": "server"}},
           "student": {"dir": str(sub)}, "reference": {"dir": str(sub)}, "limits": {}})
box.start({"type": "plan", "steps": [], "timeout": 120, "port": 24680, "programs": {}, "student": {"dir": str(sub)},
           "reference": {"dir": str(sub)}, "limits": {}})  # and a spare, waiting for its plan
sys.stdin.read()
"""


@pytest.mark.slow
def test_a_grader_killed_outright_leaves_no_process_of_its_local_sandboxes(tmp_path: Path) -> None:
    """SIGKILL of the process that holds the local backend (no clean-up can run): its driver
    server dies with it, each keeper with the server, each driver with its keeper, and the
    student's processes with their PID namespace."""
    if os.geteuid() != 0:
        pytest.skip("the local backend's students run as uid 65534 only as root")
    tmp_path.chmod(0o755)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], cwd=REPO, stdin=subprocess.PIPE)
    pidfds: list[int] = []
    try:
        wait_for(lambda: any(uid == 65534 for _, _, uid in descendants(holder.pid, processes()).values()), 60,
                 "the student's server")
        tree = descendants(holder.pid, processes())
        for pid in tree:
            with contextlib.suppress(ProcessLookupError):
                pidfds.append(os.pidfd_open(pid))
        assert len(pidfds) >= 6, tree  # setpriv's driver server, 2 keepers, 2 drivers, the student's server
        holder.kill()
        holder.wait()
        deadline = time.monotonic() + 30
        waiting = list(pidfds)
        while waiting and time.monotonic() < deadline:  # each pidfd turns readable when its process ends
            ended, _, _ = select.select(waiting, [], [], deadline - time.monotonic())
            waiting = [fd for fd in waiting if fd not in ended]
        assert not waiting, f"{len(waiting)} of the sandboxes' {len(pidfds)} processes outlived the grader"
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        assert holder.stdin
        holder.stdin.close()
        for fd in pidfds:
            os.close(fd)


def test_a_pytest_run_grades_with_the_assignment_grade_checked(tmp_path: Path) -> None:
    """`grade` loads and checks the lab once; each submission's pytest run takes that assignment
    (`--labgrade-assignment`, a pickle `grade` wrote) instead of loading the folder again: it
    grades with what `grade` loaded, even where the folder says otherwise (here the points of one
    scenario, changed in what `grade` passes)."""
    lab = REPO / "assignments" / "echo-iterative"
    loaded = load_assignment(lab)
    first = loaded.scenarios[0]
    passed = tmp_path / "assignment.pickle"
    passed.write_bytes(pickle.dumps(dataclasses.replace(
        loaded, scenarios=(dataclasses.replace(first, points=first.points + 7), *loaded.scenarios[1:]))))
    results = tmp_path / "results.json"
    done = subprocess.run([sys.executable, "-m", "pytest", f"--submission={REPO / 'reference' / 'echo-iterative'}",
                           "--backend=local", f"--labgrade-results={results}", f"--config-file={GRADING_INI}",
                           f"--rootdir={lab}", f"--labgrade-assignment={passed}", f"--labgrade-scenario={first.name}",
                           "-q", "--", str(first.path)], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stdout + done.stderr
    tests = json.loads(results.read_text())["tests"]
    assert [(t["name"], t["score"], t["max_score"]) for t in tests] == [(first.name, first.points + 7,
                                                                         first.points + 7)]


COLLECTED_BY = """\
import os
import pytest

COLLECTED_BY = os.getpid()  # imported when the session collects


@pytest.mark.labgrade(points=1, tags=["protocol"], name="a Python check notes who collected it")
def test_who_collected(live_submission, request):
    who = os.path.basename(request.config.getoption("labgrade_submission"))
    with open(os.path.join(os.environ["MARKS"], who), "w") as f:
        f.write(f"{COLLECTED_BY} {os.getpid()} {os.getppid()}")
"""


def test_a_class_run_forks_each_full_run_from_one_collected_session(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Each submission graded in full is the class's template session forked (grader/plugin/template.py):
    its parent collected the lab, once for the class; LABGRADE_TEMPLATE=0 gives each run its own
    collection. The grades are the same either way."""
    lab = make_lab(tmp_path, checks=True)
    (lab / "checks" / "test_check.py").write_text(COLLECTED_BY)
    klass = make_class(tmp_path, {"ada": "good", "bob": "syntax", "eve": "good"})

    def grade(template: str) -> tuple[dict[str, list[int]], dict[str, dict[str, tuple[float, str, bool]]]]:
        marks, out = tmp_path / f"marks-{template}", tmp_path / f"out-{template}"
        marks.mkdir()
        monkeypatch.setenv("MARKS", str(marks))
        monkeypatch.setenv("LABGRADE_TEMPLATE", template)
        assert main([str(klass), "-a", str(lab), "--backend", "local", "-j", "2", "-o", str(out), "--no-cache"]) == 0
        return {p.name: [int(n) for n in p.read_text().split()] for p in marks.iterdir()}, scores(out)

    forked, grades = grade("1")
    assert sorted(forked) == ["ada", "bob", "eve"]
    assert len({collector for collector, _, _ in forked.values()}) == 1
    assert all(collector == parent != pid for collector, pid, parent in forked.values())
    alone, alone_grades = grade("0")
    assert all(collector == pid for collector, pid, _ in alone.values())
    assert alone_grades == grades
    assert grades["ada"] == grades["eve"] != grades["bob"]
