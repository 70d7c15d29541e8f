"""Copies of one hand-in get one grade: a class of N copies of each of the corpus's hand-ins.

    python bench/copies.py [--lab echo-concurrent] [--copies 8] [--backend local] [-j 2] [--hog]

A verdict that depends on the machine's load shows as copies of one hand-in that do not agree:
graded side by side at -j 2 (and, with --hog, with a busy loop on every core), every copy of a
hand-in of tests/handins/LAB must get the same score and fail the same tests. Prints one line per
hand-in and the total; exit status 1 if any copies disagree. Not part of the test suite: it
takes minutes by design. The run of record is in bench/STABILITY.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stability import start_hogs

REPO = Path(__file__).resolve().parent.parent
HANDINS = REPO / "tests" / "handins"


def build_class(lab: str, copies: int, dest: Path) -> dict[str, str]:
    """dest/<hand-in>__<k> for each hand-in of the corpus; copy name -> hand-in name."""
    origin = {}
    for handin in sorted(p for p in (HANDINS / lab).iterdir() if p.is_dir()):
        for k in range(1, copies + 1):
            name = f"{handin.name}__{k}"
            shutil.copytree(handin, dest / name)
            origin[name] = handin.name
    return origin


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="echo-concurrent")
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--backend", default="local")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--hog", action="store_true", help="a busy loop on every core meanwhile")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="labgrade-copies-") as tmp:
        klass, out = Path(tmp) / "class", Path(tmp) / "out"
        klass.mkdir()
        origin = build_class(args.lab, args.copies, klass)
        hogs = start_hogs(2) if args.hog else []
        started = time.monotonic()
        try:
            done = subprocess.run([sys.executable, "-m", "grader.cli", str(klass), "-a", args.lab, "--backend",
                                   args.backend, "-j", str(args.jobs), "-o", str(out), "--no-cache"],
                                  capture_output=True, text=True, cwd=REPO)
        finally:
            for h in hogs:
                h.kill()
                h.wait()
        took = time.monotonic() - started
        if done.returncode != 0:
            print(done.stdout[-3000:] + done.stderr[-3000:])
            return 1
        subs = json.loads((out / "results.json").read_text())["submissions"]
    grades: dict[str, set[tuple[float, tuple[str, ...]]]] = defaultdict(set)
    for s in subs:
        failed = tuple(t["name"] for t in s["tests"] if t["status"] != "passed")
        grades[origin[s["name"]]].add((s["score"], failed))
    disagree = 0
    for handin, seen in sorted(grades.items()):
        scores = sorted({score for score, _ in seen})
        agree = len(seen) == 1
        disagree += not agree
        print(f"{'ok  ' if agree else 'DIFF'} {handin}: {args.copies} copies, score {' / '.join(map(str, scores))}"
              + ("" if agree else "; failed tests differ: " + " | ".join(", ".join(f) or "-" for _, f in seen)))
    load = "with a CPU hog on every core" if args.hog else "without load"
    print(f"{len(subs)} submissions ({len(grades)} hand-ins x {args.copies}) of {args.lab}, {args.backend}, "
          f"-j {args.jobs}, {load}: {disagree} hand-ins whose copies disagree; {took:.0f} s")
    return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
