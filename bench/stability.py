"""Verdict stability under load: every lab's selfcheck, repeated, with a CPU hog on every core.

    python bench/stability.py [--runs 20] [--labs queue select-client ...] [--backend local|docker] [--no-hog]

A flaky verdict is a wrong grade. This runs `grade selfcheck` for each lab RUNS times while
busy loops occupy every core, and counts the (variant, test) verdicts that differ from the
first run's. It prints one line per run and the total; the exit status is 1 if any verdict
changed or any selfcheck failed. Not part of the test suite: it takes minutes by design.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LABS = ["echo-iterative", "echo-concurrent", "queue", "select-client", "select-server"]
HOG = "while True: pass"
HOG_CPU_LIMIT = 4 * 3600  # seconds of CPU per hog: a bound, in case this script is killed


def start_hogs(n: int) -> list[subprocess.Popen[bytes]]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (HOG_CPU_LIMIT, HOG_CPU_LIMIT))

    return [subprocess.Popen([sys.executable, "-c", HOG], preexec_fn=limit) for _ in range(n)]


def selfcheck(lab: str, out: Path, backend: str = "local") -> tuple[int, dict[str, str]]:
    done = subprocess.run([sys.executable, "-m", "grader.cli", "selfcheck", lab, "--backend", backend,
                           "-o", str(out)], capture_output=True, text=True, cwd=REPO)
    if done.returncode != 0:  # keep the evidence: which variant, which test, and its feedback
        kept = Path(tempfile.mkdtemp(prefix=f"labgrade-stability-{lab}-"))
        shutil.copytree(out, kept, dirs_exist_ok=True)
        (kept / "selfcheck.txt").write_text(done.stdout + done.stderr)
        print(f"  selfcheck output kept in {kept}", flush=True)
    results = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    verdicts = {f"{lab} / {s['name']} / {t['name']}": t["status"]
                for s in results.get("submissions", []) for t in s["tests"]}
    return done.returncode, verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--labs", nargs="+", default=LABS)
    parser.add_argument("--backend", default="local", choices=["local", "docker"])
    parser.add_argument("--no-hog", action="store_true", help="run without the CPU hog (a baseline)")
    args = parser.parse_args()
    hogs = [] if args.no_hog else start_hogs(os.cpu_count() or 1)
    first: dict[str, str] = {}
    changes, failed_checks = 0, 0
    try:
        for run in range(1, args.runs + 1):
            started, changed_now, verdicts = time.monotonic(), [], {}
            for lab in args.labs:
                with tempfile.TemporaryDirectory() as tmp:
                    rc, lab_verdicts = selfcheck(lab, Path(tmp), args.backend)
                    if run > 1 and any(first.get(k) != v for k, v in lab_verdicts.items()):
                        kept = Path(tempfile.mkdtemp(prefix=f"labgrade-stability-{lab}-changed-"))
                        shutil.copytree(tmp, kept, dirs_exist_ok=True)  # the feedback and transcript of the change
                        print(f"  run {run}: {lab}'s reports kept in {kept}", flush=True)
                failed_checks += rc != 0
                verdicts.update(lab_verdicts)
                if rc != 0:
                    print(f"  run {run}: selfcheck {lab} FAILED (exit {rc})", flush=True)
            if run == 1:
                first = verdicts
            else:
                changed_now = [k for k in first.keys() | verdicts.keys() if first.get(k) != verdicts.get(k)]
                changes += len(changed_now)
            print(f"run {run}/{args.runs}: {len(verdicts)} verdicts, {len(changed_now)} changed, "
                  f"{time.monotonic() - started:.0f} s" + ("".join(f"\n  changed: {k}" for k in changed_now)),
                  flush=True)
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    load = "with a CPU hog on every core" if hogs else "without load"
    print(f"{changes} verdict changes in {args.runs} runs of {len(args.labs)} labs ({args.backend}) {load}; "
          f"{failed_checks} failed selfchecks")
    return 1 if changes or failed_checks else 0


if __name__ == "__main__":
    sys.exit(main())
