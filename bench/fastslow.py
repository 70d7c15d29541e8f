"""Early decisions, side by side and templates change no verdict: the corpus graded with and without, every test compared.

    python bench/fastslow.py [--labs echo-concurrent ...] [--backend local] [-j 2] [--hog]

A step that fails as soon as the sandbox is quiescent (grader/driver/settle.py) must fail exactly
where its deadline would have failed it, and a scenario graded beside others (--side-by-side) must
be judged as if alone, and a run forked from the class's collected session (grader/plugin/template.py)
as if it had collected its own. This grades each lab's hand-ins of tests/handins twice, fast (the
defaults: early decisions, scenarios side by side, a template) and slow (LABGRADE_EARLY=0: every
failing step waits out its deadline; --side-by-side 1: one scenario at a time; LABGRADE_TEMPLATE=0:
each run collects its own), and lists every test whose status differs;
it also prints both wall times and their ratio. Exit status 1 if any status differs. Not part of
the test suite: it takes minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stability import start_hogs

REPO = Path(__file__).resolve().parent.parent
HANDINS = REPO / "tests" / "handins"
LABS = sorted(p.name for p in HANDINS.iterdir() if p.is_dir() and not p.name.startswith("."))


def grade(lab: str, out: Path, fast: bool, backend: str, jobs: int) -> tuple[dict[str, str], float]:
    """{submission / test: status} of the lab's corpus, and the wall time of the run."""
    env = {**os.environ, "LABGRADE_EARLY": "1" if fast else "0", "LABGRADE_TEMPLATE": "1" if fast else "0"}
    slow = [] if fast else ["--side-by-side", "1"]
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "grader.cli", str(HANDINS / lab), "-a", lab, "--backend", backend,
                           "-j", str(jobs), "-o", str(out), "--no-cache", *slow], capture_output=True, text=True,
                          cwd=REPO, env=env)
    took = time.monotonic() - started
    if done.returncode not in (0, 3):
        raise SystemExit(f"{lab}: grade failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    subs = json.loads((out / "results.json").read_text())["submissions"]
    return {f"{s['name']} / {t['name']}": t["status"] for s in subs for t in s["tests"]}, took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labs", nargs="+", default=LABS)
    parser.add_argument("--backend", default="local")
    parser.add_argument("-j", "--jobs", type=int, default=2)
    parser.add_argument("--hog", action="store_true", help="a busy loop on every core meanwhile")
    args = parser.parse_args()
    hogs = start_hogs(os.cpu_count() or 1) if args.hog else []
    differ, fast_total, slow_total = 0, 0.0, 0.0
    try:
        for lab in args.labs:
            with tempfile.TemporaryDirectory(prefix="labgrade-fastslow-") as tmp:
                fast, fast_s = grade(lab, Path(tmp) / "fast", True, args.backend, args.jobs)
                slow, slow_s = grade(lab, Path(tmp) / "slow", False, args.backend, args.jobs)
            changed = sorted(k for k in fast.keys() | slow.keys() if fast.get(k) != slow.get(k))
            differ += len(changed)
            fast_total, slow_total = fast_total + fast_s, slow_total + slow_s
            print(f"{lab}: {len(fast)} tests, {len(changed)} differ; fast {fast_s:.0f} s, slow {slow_s:.0f} s "
                  f"({fast_s / slow_s:.2f}x)" + "".join(f"\n  {k}: fast {fast.get(k)}, slow {slow.get(k)}"
                                                        for k in changed), flush=True)
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    load = "with a CPU hog on every core" if hogs else "without load"
    print(f"{differ} tests differ ({args.backend}, -j {args.jobs}, {load}); fast {fast_total:.0f} s, slow "
          f"{slow_total:.0f} s: {fast_total / slow_total:.2f}x")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
