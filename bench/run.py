"""Speed benchmarks (issues 7 and 13): each figure as a ratio to what it is compared with, within one run.

    .venv/bin/python bench/run.py [--quick] [--backend local|docker|both] [--class-size N] [--jobs 1 2 4]

  1. sandbox overhead: the trivial scenario ("server echoes one line": start the server, connect,
     echo one line) through each backend, against the same program driven bare on the host;
  2. a correct submission's full lab run (the echo-concurrent reference, every scenario and
     check, one pytest process as `grade` runs it) against its inherent cost (bench/inherent.py:
     program starts, at the bare start-up cost measured in 1, plus the fixed windows);
  3. a class of generated submissions (half the reference, half the lab's mutants) through
     `grade` with -j 1, 2, 4, against the inherent cost of that class if every failed step sat
     out its deadline, divided by the number of jobs, and (local) against the run's own CPU
     floor: the user and system seconds of every process of the run, divided by the cores; how
     many failed steps were decided early (nothing more could happen), at a deadline, or at once
     by an event; the docker class is also graded on the local backend, to compare the two;
  4. peak memory (ru_maxrss) of the `grade` process and of its largest child.
Measurements of different kinds are interleaved in rounds so that a change in the machine's
load hits them alike; medians are reported. The Markdown table goes to bench/RESULTS.md (with
the machine, date and commit); text after the NOTES_MARK line of that file is kept across runs.
Not part of the test suite: the full run takes about half an hour per backend by design.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pickle
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]  # run as a script from anywhere

import inherent  # noqa: E402

from grader import classrun  # noqa: E402
from grader.assignment import Assignment, find_assignment, load_assignment  # noqa: E402
from grader.driver import sockdiag  # noqa: E402
from grader.driver.__main__ import BASE_ENV  # noqa: E402
from grader.mutants import materialize, mutants_of  # noqa: E402
from grader.pytest_server import PytestServer  # noqa: E402
from grader.reference import copy_reference, reference_folder  # noqa: E402
from grader.results import SubmissionResult  # noqa: E402
from grader.run import plan_for, prepare  # noqa: E402
from grader.sandbox import Sandbox, open_backend  # noqa: E402
from grader.sandbox.local import sandbox_python  # noqa: E402

LAB = "echo-concurrent"
TRIVIAL = "server echoes one line"
HOST = "127.0.0.1"
LINE = b"hello, server\n"
BARE_POLL = 0.0005  # s: the bare run watches for the listening socket more tightly than the driver does
RESULTS = REPO / "bench" / "RESULTS.md"
NOTES_MARK = "<!-- notes below this line are written by hand and kept when the bench rewrites this file -->"
# targets of issues 7 and 13 (2-core machine, local backend; docker within DOCKER_FACTOR)
TRIVIAL_TARGET = 0.050  # s over the bare programs
LAB_TARGET = 1.0  # s for a correct echo-concurrent submission
CLASS_TARGET = 60.0  # s for 100 submissions at -j CLASS_JOBS
CLASS_JOBS = 2
CPU_FLOOR_TARGET = 1.5  # a class run's wall time against its CPU floor (local)
DOCKER_CLASS_TARGET = 1.3  # a docker class run's wall time against the same class on the local backend
DOCKER_FACTOR = 2.0
WRAPPER = ("import json, resource, sys\nfrom grader.cli import main\nrc = main(sys.argv[1:])\n"
           "own, kids = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))\n"
           "print('BENCH-RUSAGE ' + json.dumps({'rc': rc, 'self_kb': own.ru_maxrss, 'children_kb': kids.ru_maxrss,\n"
           "      'cpu_s': sum(u.ru_utime + u.ru_stime for u in (own, kids))}), file=sys.stderr)\n"
           "sys.exit(rc)\n")
EARLY = "when nothing more could happen"  # in a failed step's feedback (grader/driver/runner.py)
AT_DEADLINE = re.compile(r"\bwithin [0-9.]+ s\b")


class BenchError(Exception):
    """The bench cannot produce a figure (a run failed, a grade changed): the figure would be a lie."""


@dataclass(frozen=True)
class Row:
    figure: str
    measured: str
    compared: str  # what the measured figure is compared with (bare programs, inherent cost)
    ratio: str
    target: str
    met: str


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f} ms"


def verdict(ok: bool) -> str:
    return "met" if ok else "**not met**"


# -- 1. the trivial scenario -------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def bare_trivial(assignment: Assignment, python: str) -> tuple[float, float]:
    """The trivial scenario's steps done bare: (whole run, start until listening), in seconds."""
    port = free_port()
    spec = assignment.programs["server"]
    argv = [python, *(a.replace("{port}", str(port)).replace("{host}", HOST) for a in spec.argv)]
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, cwd=reference_folder(assignment), env=dict(BASE_ENV), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        while port not in sockdiag.tcp_listeners():
            if proc.poll() is not None or time.monotonic() - t0 > 10:
                raise BenchError(f"the bare reference server did not listen on port {port}")
            time.sleep(BARE_POLL)
        listening = time.monotonic() - t0
        with socket.create_connection((HOST, port), timeout=10) as s:
            s.sendall(LINE)
            got = b""
            while len(got) < len(LINE):
                chunk = s.recv(4096)
                if not chunk:
                    raise BenchError("the bare reference server closed the connection")
                got += chunk
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        return time.monotonic() - t0, listening
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.communicate()


@dataclass(frozen=True)
class SandboxRun:
    wall: float  # host call to outcome, s
    driver: float  # the driver's own run: jail set-up, steps, teardown
    first_spawn: float  # driver start to the server's spawn (jail set-up)


def sandbox_trivial(box: Sandbox, assignment: Assignment, staged: Path) -> SandboxRun:
    scenario = assignment.scenario_named(TRIVIAL)  # named in English, in a lab that speaks French by default
    if scenario is None:
        raise BenchError(f"{assignment.name} has no scenario {TRIVIAL!r}")
    t0 = time.monotonic()
    outcome = box.run(plan_for(assignment, scenario, staged).to_json())
    wall = time.monotonic() - t0
    if outcome["status"] != "passed":
        raise BenchError(f"the trivial scenario did not pass through {box.name}: {str(outcome)[:500]}")
    events = outcome["transcript"]["events"]
    return SandboxRun(wall, float(outcome["duration"]), float(events[0][0]) if events else 0.0)


def trivial_figures(assignment: Assignment, boxes: dict[str, Sandbox], staged: Path, rounds: int,
                    per_round: int) -> tuple[list[Row], list[str], float]:
    """Rows, profile lines and the bare start-up cost (start until listening, s)."""
    python = sandbox_python() or sys.executable
    bare: list[tuple[float, float]] = []
    runs: dict[str, list[SandboxRun]] = {name: [] for name in boxes}
    for _ in range(rounds):  # back to back within a round, as the scenarios of one submission run
        bare += [bare_trivial(assignment, python) for _ in range(per_round)]
        for name, box in boxes.items():
            runs[name] += [sandbox_trivial(box, assignment, staged) for _ in range(per_round)]
    bare_wall = statistics.median(b[0] for b in bare)
    rows, profile = [], [f"- bare: {median_ms([b[0] for b in bare])} in all, of which the server's start until "
                         f"listening {median_ms([b[1] for b in bare])} ({len(bare)} runs)"]
    for name, rs in runs.items():
        wall = statistics.median(r.wall for r in rs)
        target = TRIVIAL_TARGET * (DOCKER_FACTOR if name == "docker" else 1)
        rows.append(Row(f"trivial scenario, {name} backend", f"{wall * 1000:.0f} ms", f"bare {bare_wall * 1000:.0f} ms",
                        f"{wall / bare_wall:.2f}x (+{(wall - bare_wall) * 1000:.0f} ms)",
                        f"≤ bare + {target * 1000:.0f} ms", verdict(wall - bare_wall <= target)))
        profile.append(f"- {name}: {median_ms([r.wall for r in rs])} host call to outcome = sandbox start and exit "
                       f"{median_ms([r.wall - r.driver for r in rs])} + the driver's run "
                       f"{median_ms([r.driver for r in rs])} (of which jail set-up until the server's spawn "
                       f"{median_ms([r.first_spawn for r in rs])}) ({len(rs)} runs)")
    return rows, profile, statistics.median(b[1] for b in bare)


# -- 2. a correct submission's lab run ---------------------------------------------------------

def pytest_startup(assignment: Assignment, submission: Path) -> float:
    """A pytest run forked by a class run's server (already started), with the plugin, loading and
    collecting the lab: what each submission pays once."""
    server = PytestServer()
    loaded = Path(tempfile.mkdtemp()) / "assignment.pickle"
    loaded.write_bytes(pickle.dumps(assignment))
    try:
        args = [str(assignment.root), "--submission", str(submission), "--collect-only", "-q", "-c",
                str(REPO / "grader" / "grading.ini"), "--rootdir", str(assignment.root),
                f"--labgrade-assignment={loaded}"]
        with open(os.devnull, "wb") as out:
            server.start(args, dict(os.environ), out.fileno(), REPO).wait()  # the server's own start-up
            t0 = time.monotonic()
            if server.start(args, dict(os.environ), out.fileno(), REPO).wait() != 0:
                raise BenchError("pytest could not collect the lab")
            return time.monotonic() - t0
    finally:
        server.close()
        shutil.rmtree(loaded.parent)


def grade_one(assignment: Assignment, submission: Path, backend: str, logs: Path) -> tuple[SubmissionResult, float]:
    """One submission as a class run grades it (its own pytest process), without the result cache,
    and the seconds it took: what a class pays per submission (a class run's own start-up, such as
    its pytest server's, is paid before)."""
    run = classrun.ClassRun(assignment, backend, logs)
    try:
        if hasattr(run, "server"):  # ready before the clock starts
            with open(os.devnull, "wb") as out:
                run.server.start(["--version"], dict(os.environ), out.fileno(), REPO).wait()
        t0 = time.monotonic()
        graded = run.grade(submission)
        seconds = time.monotonic() - t0
    finally:
        if hasattr(run, "close"):
            run.close()
    if graded is None:
        raise BenchError("the grading run was stopped")
    return graded.result, seconds


def lab_figures(assignment: Assignment, backends: list[str], submission: Path, logs: Path, repeats: int,
                start_cost: float) -> tuple[list[Row], list[str]]:
    cost = inherent.of_assignment(assignment)
    floor = cost.seconds(start_cost)
    walls: dict[str, list[float]] = {b: [] for b in backends}
    startup: list[float] = []
    tests = 0
    for _ in range(repeats):
        startup.append(pytest_startup(assignment, submission))
        for b in backends:
            result, seconds = grade_one(assignment, submission, b, logs)
            walls[b].append(seconds)
            if result.error or result.score != result.max_score:
                raise BenchError(f"the reference lost points through {b}: see {logs}")
            tests = len(result.tests)
    rows = []
    for b, ws in walls.items():
        wall = statistics.median(ws)
        target = LAB_TARGET * (DOCKER_FACTOR if b == "docker" else 1)
        rows.append(Row(f"correct {assignment.name} submission ({tests} tests), {b} backend", f"{wall:.2f} s",
                        f"inherent {floor:.2f} s", f"{wall / floor:.1f}x", f"< {target:g} s", verdict(wall < target)))
    profile = [f"- inherent cost of the lab: {cost.starts} program starts x {start_cost * 1000:.0f} ms "
               f"+ {cost.windows:g} s of fixed windows = {floor:.2f} s",
               f"- a pytest run forked by the class run's server, with the plugin, taking the lab and collecting "
               f"it (paid once per submission): {median_ms(startup)}"]
    return rows, profile


# -- 3. a class ---------------------------------------------------------------------------------

def make_class(assignment: Assignment, size: int, dest: Path) -> dict[str, str]:
    """`size` submissions: even ones the reference, odd ones a mutant (in turn). Name -> variant."""
    mutants = mutants_of(assignment)
    variants = {}
    for i in range(size):
        name = f"{assignment.name}-s{i:03d}"
        if i % 2:
            mutant = mutants[(i // 2) % len(mutants)]
            materialize(assignment, mutant, dest / name)
            variants[name] = mutant.name
        else:
            copy_reference(assignment, dest / name)
            variants[name] = "reference"
    return variants


@dataclass(frozen=True)
class ClassRun:
    wall: float
    self_kb: int
    children_kb: int
    cpu: float  # user + system seconds of `grade` and every process it waited for: not the drivers and programs
    # a sandbox's end leaves to the machine's init to reap (their keeper killed), nor containers
    machine_cpu: float  # seconds the machine's CPUs were busy during the run (/proc/stat): every process of the
    # run, kernel threads included (netns clean-up), and anything else running on the machine
    results: dict[str, Any]

    def failures(self) -> dict[str, int]:
        """How each failed test was decided: early, at a deadline, or at once (an event)."""
        counts = dict.fromkeys(("early", "deadline", "at once"), 0)
        for sub in self.results["submissions"]:
            for test in sub["tests"]:
                if test["status"] == "failed" and not test["error"]:
                    out = str(test.get("output", ""))
                    counts["early" if EARLY in out else "deadline" if AT_DEADLINE.search(out) else "at once"] += 1
        return counts


def no_cache_flag() -> list[str]:
    """`--no-cache` once the result cache exists (issue 7): every run must grade from scratch."""
    out = subprocess.run([sys.executable, "-m", "grader.cli", "--help"], capture_output=True, text=True, cwd=REPO)
    return ["--no-cache"] if "--no-cache" in out.stdout else []


def grade_class_once(folder: Path, lab: str, backend: str, jobs: int, out: Path) -> ClassRun:
    env = {**os.environ, "XDG_CACHE_HOME": str(out / "cache")}  # a fresh cache in any case
    cmd = [sys.executable, "-c", WRAPPER, str(folder), "-a", lab, "--backend", backend, "-j", str(jobs),
           "-o", str(out), "--lang", "en", *no_cache_flag()]  # EARLY, inherent.FAILED_AT: the English feedback
    t0, busy0 = time.monotonic(), machine_busy()
    with open(out.with_suffix(".log"), "w") as log:
        done = subprocess.run(cmd, stdout=log, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    wall, busy = time.monotonic() - t0, machine_busy() - busy0
    usage = [line for line in done.stderr.splitlines() if line.startswith("BENCH-RUSAGE ")]
    if done.returncode != 0 or not usage:
        raise BenchError(f"grade failed (exit {done.returncode}): {done.stderr[-2000:]}")
    u = json.loads(usage[-1].split(" ", 1)[1])
    return ClassRun(wall, u["self_kb"], u["children_kb"], u.get("cpu_s", 0.0), busy,
                    json.loads((out / "results.json").read_text()))


def machine_busy() -> float:
    """Seconds the machine's CPUs have been busy since boot: user, nice, system, irq, softirq (/proc/stat)."""
    with open("/proc/stat") as f:
        ticks = [int(t) for t in f.readline().split()[1:8]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def check_class(run: ClassRun, variants: dict[str, str]) -> None:
    for sub in run.results["submissions"]:
        full = sub["score"] == sub["max_score"]
        if full != (variants[sub["name"]] == "reference"):
            raise BenchError(f"{sub['name']} ({variants[sub['name']]}) scored {sub['score']}/{sub['max_score']}")


def class_figures(assignment: Assignment, sizes: dict[str, int], jobs: list[int], work: Path,
                  start_cost: float) -> tuple[list[Row], list[str], list[tuple[str, ClassRun]]]:
    rows, profile, runs = [], [], []
    backends = [b for b, size in sizes.items() if size > 0]
    classes: dict[int, dict[str, str]] = {}  # size -> {submission: variant}, made once
    walls: dict[tuple[str, int, int], float] = {}  # (backend, size, jobs) -> wall time
    plan = [(b, sizes[b], j) for b in backends for j in jobs]
    if "docker" in backends and "local" in backends and sizes["docker"] != sizes["local"]:
        plan.append(("local", sizes["docker"], CLASS_JOBS))  # the docker class on the local backend, to compare
    for b, size, j in plan:
        folder = work / f"class-{size}"
        if size not in classes:
            classes[size] = make_class(assignment, size, folder)
        out = work / f"out-{b}-{size}-j{j}"
        run = grade_class_once(folder, assignment.name, b, j, out)
        try:
            check_class(run, classes[size])
        except BenchError as e:  # a wrong grade: its reports (feedback, transcripts, logs) are kept
            kept = shutil.copytree(out, Path(tempfile.mkdtemp(prefix="labgrade-bench-wrong-")) / out.name)
            raise BenchError(f"{b}, -j {j}: {e}; reports kept in {kept}") from None
        walls[b, size, j] = run.wall
        what = f"class of {size} ({size // 2} correct, {size - size // 2} mutants), {b}, -j {j}"
        runs.append((f"{b}, class of {size}, -j {j}", run))
        total = sum(inherent.of_result(assignment, s["tests"]).seconds(start_cost)
                    for s in run.results["submissions"])
        t = CLASS_TARGET * size / 100 * (DOCKER_FACTOR if b == "docker" else 1)
        target, met = (f"≤ {t:g} s", verdict(run.wall <= t)) if j == CLASS_JOBS else ("-", "-")
        rows.append(Row(what, f"{run.wall:.0f} s", f"inherent {total:.0f} s / {j} = {total / j:.0f} s",
                        f"{run.wall / (total / j):.2f}x", target, met))
        if b == "local":  # the machine's busy time: what every process of the run took (an idle machine)
            floor = run.machine_cpu / (os.cpu_count() or 1)
            rows.append(Row(f"{what}: CPU floor", f"{run.wall:.0f} s", f"CPU {run.machine_cpu:.0f} s (machine; "
                            f"grade's rusage {run.cpu:.0f} s) / {os.cpu_count()} cores = {floor:.0f} s",
                            f"{run.wall / floor:.2f}x", f"≤ {CPU_FLOOR_TARGET:g}x",
                            verdict(run.wall <= CPU_FLOOR_TARGET * floor)))
        fails = run.failures()
        profile.append(f"- {b}, class of {size}, -j {j}: {sum(fails.values())} failed tests, decided "
                       + ", ".join(f"{how} {n}" for how, n in fails.items()))
        if b == backends[0] and j == jobs[0]:
            waits = sum(inherent.of_result(assignment, s["tests"]).windows for s in run.results["submissions"])
            profile.append(f"- of the class's inherent {total:.0f} s, {waits:.0f} s are the deadlines of its failed "
                           f"steps (paid only by those decided at a deadline)")
    if ("docker", sizes.get("docker", 0), CLASS_JOBS) in walls and ("local", sizes["docker"], CLASS_JOBS) in walls:
        size = sizes["docker"]
        docker, local = walls["docker", size, CLASS_JOBS], walls["local", size, CLASS_JOBS]
        rows.append(Row(f"class of {size}, docker against local, -j {CLASS_JOBS}", f"{docker:.0f} s",
                        f"local {local:.0f} s", f"{docker / local:.2f}x", f"≤ {DOCKER_CLASS_TARGET:g}x",
                        verdict(docker <= DOCKER_CLASS_TARGET * local)))
    return rows, profile, runs


def memory_rows(runs: list[tuple[str, ClassRun]]) -> list[Row]:
    rows = []
    for what, run in runs:
        rows.append(Row(f"peak memory (ru_maxrss), {what}", f"grade {run.self_kb / 1024:.0f} MiB",
                        f"largest child {run.children_kb / 1024:.0f} MiB", "-", "-", "-"))
    return rows


# -- the report -----------------------------------------------------------------------------------

def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, cwd=REPO).stdout.strip()


def machine() -> list[str]:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "?")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    dirty = " (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else ""
    return [f"- machine: {model}, {os.cpu_count()} CPUs, Linux {platform.release()}, "
            f"Python {platform.python_version()}",
            f"- load average at start: {load}",
            f"- date: {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
            f"- commit: {git('rev-parse', '--short', 'HEAD') or '?'}{dirty}"]


def write_results(path: Path, header: list[str], rows: list[Row], profile: list[str], command: str,
                  seconds: float) -> None:
    kept = ""
    if path.exists() and NOTES_MARK in path.read_text():
        kept = path.read_text().split(NOTES_MARK, 1)[1]
    table = ["| figure | measured | compared with | ratio | target | |", "|---|---|---|---|---|---|"]
    table += [f"| {r.figure} | {r.measured} | {r.compared} | {r.ratio} | {r.target} | {r.met} |" for r in rows]
    text = ["# Speed benchmarks (issues 7 and 13)", "", f"`{command}` ({seconds / 60:.0f} min)", "", *header, "",
            *table, "", "## Profile (same run)", "", *profile, "", NOTES_MARK]
    path.write_text("\n".join(text) + (kept if kept else "\n"))


@contextmanager
def opened(backends: list[str]) -> Iterator[dict[str, Sandbox]]:
    boxes: dict[str, Sandbox] = {}
    try:
        for b in backends:
            boxes[b] = open_backend(b)
        yield boxes
    finally:
        for box in boxes.values():
            box.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--quick", action="store_true", help="fewer repeats and a class of 10 (a smoke run, minutes)")
    p.add_argument("--backend", choices=["local", "docker", "both"], default="both")
    p.add_argument("--class-size", type=int, help="submissions in the class (default 100, --quick 10)")
    p.add_argument("--docker-class-size", type=int, help="submissions in the docker backend's class (default: "
                                                         "--class-size; 0: no class run through docker)")
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2, 4], help="-j values of the class runs")
    p.add_argument("--skip", nargs="*", default=[], choices=["trivial", "lab", "class"], help="figures not measured")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    backends = ["local", "docker"] if args.backend == "both" else [args.backend]
    rounds, per_round, repeats = (3, 5, 2) if args.quick else (5, 10, 5)
    size = args.class_size or (10 if args.quick else 100)
    header = machine()
    started = time.monotonic()
    assignment = load_assignment(find_assignment(LAB))
    rows: list[Row] = []
    profile: list[str] = []
    with tempfile.TemporaryDirectory(prefix="labgrade-bench-") as tmp:
        work = Path(tmp)
        _, staged = prepare(reference_folder(assignment), assignment, work / "staged")
        logs = Path(tempfile.mkdtemp(prefix="labgrade-bench-logs-"))  # kept if a run fails
        with opened(backends) as boxes:
            r, prof, start_cost = trivial_figures(assignment, boxes, staged, rounds, per_round)
        if "trivial" not in args.skip:
            rows += r
            profile += ["Trivial scenario, medians:", *prof, ""]
        steps: list[Callable[[], None]] = []

        def lab() -> None:
            r, prof = lab_figures(assignment, backends, staged, logs, repeats, start_cost)
            rows.extend(r)
            profile.extend(["Correct submission's lab run, medians:", *prof, ""])

        def klass() -> None:
            sizes = {b: size for b in backends}
            if "docker" in sizes and args.docker_class_size is not None:
                sizes["docker"] = args.docker_class_size
            r, prof, runs = class_figures(assignment, sizes, args.jobs, work, start_cost)
            rows.extend(r + memory_rows(runs))
            profile.extend(["Class runs:", *prof, ""])

        steps += [s for name, s in (("lab", lab), ("class", klass)) if name not in args.skip]
        for step in steps:
            step()
        shutil.rmtree(logs)
    command = "bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
    write_results(args.out, header, rows, profile, command.strip(), time.monotonic() - started)
    print(args.out.read_text().split(NOTES_MARK)[0])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(1)
