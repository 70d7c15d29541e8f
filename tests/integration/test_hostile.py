"""The hostile corpus (tests/hostile/, see its README) against every backend.

For each hostile submission: the grader finishes within its budget; the submission scores 0
where it broke things, with the reason in its feedback (memory, CPU, file size, process limit,
output cap, timeout); nothing of the run is left on the host (processes, containers, mounts,
cgroups, temp files); nothing outside the submission was readable or reachable: the test plants
a secret token beside the submission, in another student's folder, in the assignment and in the
reference solution (whose source must not appear either), in the grader's environment, and
listens on the host's 127.0.0.1, which must never be connected to.
Then one class run per backend (`grade -j 2`) mixes two normal submissions with the corpus: the
normal ones get exactly their solo scores, every hostile one a score and a reason.

The lab is a trimmed copy of echo-concurrent (three scenarios, tighter limits) written in tmp,
so that a CPU hog or a disk filler meets its limit in seconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from grader.assignment import Assignment, load_assignment
from grader.assignment.model import versions
from grader.handin import SubmissionUnusable
from grader.reference import copy_reference
from grader.run import grade_scenario, prepare
from grader.sandbox import open_backend
from grader.sandbox.base import RUN_ENV
from grader.sandbox.local import sandbox_python
from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "hostile"
LAB = REPO / "assignments" / "echo-concurrent"
EXAMPLES = REPO / "examples" / "echo-concurrent"
ONE_LINE = "server echoes one line"
ZOMBIES = "finished children are reaped (no zombies accumulate)"  # frank loses these points
CLEANUP = "children exit after their client leaves, and nothing outlives the server"
LIMITS = {"cpu_seconds": 3, "memory_mb": 256, "file_size_mb": 4, "scratch_mb": 16, "processes": 64,
          "received_mb": 8, "socket_mb": 16}
TOKEN = f"LABGRADE-SECRET-{uuid.uuid4().hex}"
REFERENCE_CLIENT = load_assignment(LAB).reference_file("client.py")  # shared with echo-iterative
MANY_FILES = 10_000
BACKENDS = ["local", pytest.param("docker", marks=pytest.mark.docker),
            pytest.param("process", marks=pytest.mark.process)]  # inside a default container: conftest


@dataclass(frozen=True)
class Case:
    name: str  # a folder of tests/hostile
    scenario: str  # the scenario it is run through alone
    passes: bool  # it does no harm to its grade: its mischief must just get it nothing
    says: tuple[str, ...] = ()  # all in its feedback (when it fails)
    # what the process backend says instead, where it holds the limit by other means (README,
    # "Sandbox backends": rlimits but no cgroup, no private /tmp or read-only root)
    process_says: tuple[str, ...] | None = None
    docker_says: tuple[str, ...] | None = None  # what the docker backend says instead, where it differs

    def said(self, backend: str) -> tuple[str, ...]:
        instead = {"process": self.process_says, "docker": self.docker_says}.get(backend)
        return self.says if instead is None else instead


CASES = (
    # process: RLIMIT_NPROC refuses the fork, but no pids cgroup counts the refusals for the reason
    Case("fork-bomb", ONE_LINE, False, ("process limit reached: fork() failed",),
         ("BlockingIOError: [Errno 11] Resource temporarily unavailable",)),
    # process: RLIMIT_AS refuses the allocation (no memory cgroup to kill it)
    Case("memory-hog", ONE_LINE, False, ("killed by SIGKILL", "out of memory", "256 MB"), ("MemoryError",)),
    Case("stdout-flood", ONE_LINE, False, ("stdout: 200.0 MB written, first 1 MiB kept",)),
    Case("sigterm-daemon", CLEANUP, False, ("1 process of the submission", "killed by SIGKILL (sent by the grader)")),
    Case("snooper", ONE_LINE, True),
    # Python ignores SIGXFSZ: past RLIMIT_FSIZE, write() fails with EFBIG ("File too large")
    # process: RLIMIT_FSIZE only (no scratch tmpfs, no read-only root)
    Case("disk-filler", ONE_LINE, False, ("File too large", "No space left on device", "Read-only file system"),
         ("File too large",)),
    Case("net-prober", ONE_LINE, True),
    Case("syntax-error", ONE_LINE, False, ("SyntaxError",)),
    Case("missing-file", ONE_LINE, False, ("server.py is missing",)),
    Case("binary", ONE_LINE, False, ("exited with code 1 before listening", "SyntaxError")),
    Case("many-files", ONE_LINE, False, ("more than 2000 files",)),
    # a link out of the hand-in leads nowhere: the local backend binds the hand-in as it is (the
    # interpreter cannot open the script), docker's copy leaves the link out (the file is missing),
    # the process backend's copy keeps it, to a folder the scenario's uid may not enter
    Case("symlink-out", ONE_LINE, False, ("can't open file '/submission/server.py'",),
         process_says=("can't open file",), docker_says=("server.py is missing from the submission",)),
    Case("cpu-burner", ONE_LINE, False, ("killed by SIGXCPU", "CPU time limit of 3 s used up")),
    Case("rt-signal", ONE_LINE, False, ("killed by SIGRTMIN+6",)),
    Case("ipc-keyring", ONE_LINE, True),
    Case("installed-reader", ONE_LINE, True),
    Case("socket-hoarder", ONE_LINE, True),
    # how much arrived before the verdict depends on the machine's load: the 8 MiB the grader keeps
    # (its note) is checked alone, in test_a_flood_keeps_the_grader_small
    Case("socket-flood", ONE_LINE, False, ("more than expected",)),
    Case("hang", ONE_LINE, False, ("0 of 14 expected bytes had arrived",)),
)


# -- the lab, the corpus and the host's bait ---------------------------------------------------

def write_lab(dest: Path, scenarios: list[str]) -> Path:
    """A copy of echo-concurrent with these scenarios, LIMITS, and a reference that holds TOKEN."""
    (dest / "scenarios").mkdir(parents=True)
    reference = dest.parent / f"{dest.name}-reference"
    copy_reference(load_assignment(LAB), reference)
    for program in reference.glob("*.py"):
        program.write_text(program.read_text() + f"# {TOKEN}\n")
    meta = yaml.safe_load((LAB / "assignment.yaml").read_text())
    meta.update(reference=str(reference), limits=LIMITS, language="en")  # the English feedback read below
    meta.pop("shared", None)  # the copy holds the shared files
    (dest / "assignment.yaml").write_text(yaml.safe_dump(meta))
    chosen = [s for f in sorted((LAB / "scenarios").glob("*.yaml")) for s in yaml.safe_load(f.read_text())
              if set(versions(s["name"])) & set(scenarios)]
    assert len(chosen) == len(scenarios)
    for s in chosen:
        s["timeout"] = 40
        s.pop("requires", None)  # the scenarios they require are not in the trimmed copy
        # a server that never listens is waited for until it dies of its limit (the CPU burner
        # needs 3 s of CPU: more than START_WITHIN of wall time on a loaded machine)
        s["steps"] = [{"start": {"program": "server", "within": 30}} if step == {"start": "server"} else step
                      for step in s["steps"]]
    (dest / "scenarios" / "trimmed.yaml").write_text(f"# {TOKEN}\n" + yaml.safe_dump(chosen, sort_keys=False))
    return dest


def materialize(name: str, dest: Path, reference: Path) -> Path:
    """A hostile submission as a student's folder: the corpus folder, plus what cannot be kept in
    git: 10,000 files, and symlinks aimed at this run's reference solution (valid on the host)."""
    shutil.copytree(CORPUS / name, dest, symlinks=True)
    if not (dest / "client.py").exists() and not (dest / "client.py").is_symlink():
        shutil.copy2(REFERENCE_CLIENT, dest / "client.py")  # the corpus is about servers: the course's client
    if name == "many-files":
        junk = dest / "junk"
        junk.mkdir()
        for i in range(MANY_FILES):
            (junk / f"f{i:05}").write_bytes(b"")
    if name == "symlink-out":
        for link in dest.iterdir():
            if link.is_symlink() and link.name.endswith(".py"):
                link.unlink()
                link.symlink_to(reference / link.name)
    if name in ("symlink-out", "snooper"):  # valid on the host: must lead nowhere inside the sandbox
        (dest / "secret.txt").symlink_to(dest.parent / "secret.txt")
        (dest / "reference").symlink_to(reference)
        (dest / "classmates").symlink_to(dest.parent)
    return dest


@dataclass
class Bait:
    """What the host holds that no submission may read or reach."""

    listener: socket.socket
    port: int  # the listener's
    reference_hashes: set[str]

    def untouched(self, *, reached: bool = False) -> None:
        """reached: the listening socket was reached, as documented (the process backend shares the
        network of the container it runs in, and the net-prober tries every port)."""
        self.listener.settimeout(0)
        if reached:
            self.listener.accept()[0].close()
        else:
            with pytest.raises(BlockingIOError):
                self.listener.accept()  # nothing ever connected to the host's loopback service
        assert "left-behind" not in keyring_descriptions(SESSION_KEYRING)  # no key added to the grader's
        for kind, key in (("shm", IPC_SHM_KEY), ("msg", IPC_MSG_KEY)):  # nothing left in the host's IPC
            keys = [int(line.split()[0]) for line in Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]]
            assert key not in keys, f"a SysV {kind} object of a submission outlived it"


LIBC = ctypes.CDLL(None, use_errno=True)
KEYCTL, ADD_KEY = {"x86_64": (250, 248), "aarch64": (219, 217)}[os.uname().machine]
SESSION_KEYRING = -3
IPC_SHM_KEY, IPC_MSG_KEY = 0x1ABE1, 0x1ABE2  # what tests/hostile/ipc-keyring creates


def keyring_descriptions(keyring: int) -> list[str]:
    """The descriptions of the keys a keyring of this process links (KEYCTL_READ, KEYCTL_DESCRIBE)."""
    ids = ctypes.create_string_buffer(4096)
    n = LIBC.syscall(KEYCTL, 11, keyring, ids, 4096)
    found = []
    for i in range(max(0, min(n, 4096)) // 4):
        buf = ctypes.create_string_buffer(512)
        got = LIBC.syscall(KEYCTL, 6, int.from_bytes(ids.raw[4 * i:4 * i + 4], "little"), buf, 512)
        found.append(buf.raw[:max(0, got)].decode(errors="replace"))
    return found


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Assignment:
    return load_assignment(write_lab(tmp_path_factory.mktemp("lab") / "echo-concurrent",
                                     [ONE_LINE, ZOMBIES, CLEANUP]))


@contextlib.contextmanager
def planted(where: Path, reference: Path, monkeypatch: pytest.MonkeyPatch, backend: str) -> Iterator[Bait]:
    """Secrets beside the submissions (a file, another student's work), in the environment, and
    a listening socket on the host's 127.0.0.1."""
    (where / "secret.txt").write_text(TOKEN + "\n")
    other = where / "other-student"
    other.mkdir(exist_ok=True)
    (other / "server.py").write_text(f"# {TOKEN}\n")
    for p in (where, other, where / "secret.txt", other / "server.py"):
        p.chmod(0o755 if p.is_dir() else 0o644)  # readable by anyone: only the sandbox may stop them
    monkeypatch.setenv("LABGRADE_TEST_SECRET", TOKEN)
    installed = system_wide_install()
    if installed and backend == "process":  # what the README asks of an instructor there: no view to hide it
        installed.chmod(0o700)
    LIBC.syscall(ADD_KEY, b"user", b"labgrade-bait", TOKEN.encode(), len(TOKEN), SESSION_KEYRING)  # in the grader's
    hashes = {hashlib.sha256(p.read_bytes()).hexdigest() for p in reference.glob("*.py")}
    try:
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(16)
            yield Bait(listener, listener.getsockname()[1], hashes)
    finally:
        if installed:
            shutil.rmtree(installed)


def system_wide_install() -> Path | None:
    """labgrade as `pip install` into /usr/local would leave it, for the sandbox's interpreter: a
    `grader` package whose _data holds a reference with TOKEN (never over a real install)."""
    python = sandbox_python()
    if python is None:
        return None
    version = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    package = Path(f"/usr/local/lib/python{version}/dist-packages/grader")
    if package.exists() or os.geteuid() != 0:
        return None
    (package / "_data" / "reference").mkdir(parents=True)
    (package / "__init__.py").write_text(f"# {TOKEN}\n")
    (package / "_data" / "reference" / "server.py").write_text(f"# {TOKEN}\n")
    return package


# -- what a run may leave behind ---------------------------------------------------------------

def container_ids(run: str, since: float) -> set[str]:
    """Every container of this run (removed ones too: from the engine's event log)."""
    import docker

    client = docker.from_env(timeout=60)
    try:
        events = client.api.events(since=int(since) - 1, until=int(time.time()) + 1, decode=True,
                                   filters={"type": "container", "event": "create",
                                            "label": f"labgrade.run={run}"})
        try:
            return {e["id"] for e in events}
        finally:
            events.close()  # the stream's response, which the client's close() leaves open
    finally:
        client.close()


def leftovers(run: str, tmp: Path, since: float, docker: bool) -> list[str]:
    """What the run with id `run`, whose temp files went to `tmp`, left on this host."""
    found = []
    cids = container_ids(run, since) if docker else set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            cgroup = Path(f"/proc/{pid}/cgroup").read_text()
            mounts = Path(f"/proc/{pid}/mountinfo").read_text()
            if f"labgrade-{run}" in cgroup or str(tmp) in mounts or any(c in cgroup for c in cids):
                found.append(f"process {pid}: {Path(f'/proc/{pid}/cmdline').read_bytes()[:200]!r}")
    found += [f"mount: {line}" for line in Path("/proc/self/mountinfo").read_text().splitlines()
              if str(tmp) in line or run in line]
    found += [f"cgroup {p}" for p in Path("/sys/fs/cgroup").glob(f"*/labgrade-{run}*")]
    found += [f"cgroup {p}" for p in Path("/sys/fs/cgroup").glob(f"labgrade-{run}*")]
    found += [f"temp file {p}" for p in tmp.glob("labgrade-*")]
    if docker:
        import docker as docker_sdk

        client = docker_sdk.from_env(timeout=60)
        try:
            def ours() -> list[dict[str, str]]:
                return list(client.api.containers(all=True, filters={"label": f"labgrade.run={run}"}))

            wait_for(lambda: not ours(), 20, "the run's containers to go")  # auto_remove finishes asynchronously
            found += [f"container {c['Id'][:12]} {c['State']}" for c in ours()]
        finally:
            client.close()
    return found


@contextlib.contextmanager
def isolated_run(tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A run id of our own and a temp dir of our own, so that other runs on this machine (tests
    in parallel) cannot be mistaken for what ours left behind."""
    run = uuid.uuid4().hex[:12]
    tmp.mkdir(exist_ok=True)
    monkeypatch.setenv(RUN_ENV, run)
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    yield run


def no_secret_in(text: str, bait: Bait) -> None:
    assert TOKEN not in text
    for h in bait.reference_hashes:
        assert h not in text  # the snooper prints the hash of every server.py/client.py it reads


# -- each hostile submission alone ------------------------------------------------------------

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_submission(case: Case, backend: str, lab: Assignment, tmp_path: Path,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = next(s for s in lab.scenarios if s.name == case.scenario)
    since = time.time()
    with planted(tmp_path, lab.reference, monkeypatch, backend) as bait, \
            isolated_run(tmp_path / "tmp", monkeypatch) as run:
        submission = materialize(case.name, tmp_path / case.name, lab.reference)
        box = open_backend(backend)
        try:
            staging = Path(tempfile.mkdtemp(prefix="labgrade-submission-"))
            try:
                handin, staged = prepare(submission, lab, staging / "s")
                result, graded = grade_scenario(box, lab, scenario, staged, handin.files)
                outcome = graded.to_json()  # the wire form: read as JSON
            except SubmissionUnusable as e:
                result, outcome = None, {"unusable": str(e)}
            finally:
                shutil.rmtree(staging, ignore_errors=True)  # stage() removes it itself when it refuses
        finally:
            box.close()
        bait.untouched(reached=backend == "process" and case.name == "net-prober")
        assert leftovers(run, tmp_path / "tmp", since, backend == "docker") == []
    text = json.dumps(outcome) + (result.output if result else "")
    no_secret_in(text, bait)
    if result is None:  # refused before any sandbox: the reason is the whole verdict
        assert not case.passes and all(s in outcome["unusable"] for s in case.said(backend)), outcome
        return
    assert not result.error, result.output  # a verdict on the student, never a grader fault
    assert (result.status == "passed") == case.passes, result.output
    if case.passes:
        stderr = outcome["programs"]["server"]["stderr"]
        summary = json.loads([line for line in stderr.splitlines() if line.startswith("{")][-1])
        if case.name == "net-prober":
            assert summary["ifaces"] == ["lo"]
            # not even the grader's own port: it listens only later; the process backend shares the
            # network of its container, whose loopback services it reaches (README, "Sandbox backends")
            assert summary["open"] == ([bait.port] if backend == "process" else [])
            assert summary["docker_sock"] in ("FileNotFoundError", "PermissionError")
            assert all(code != 0 for code in summary["other"].values())
        if case.name == "socket-hoarder" and backend != "process":  # process: no cgroup (README)
            # the kernel held at most socket_mb (16 MB) for it, not 400 MB
            assert summary["queued"] < 24 << 20, summary
        if case.name == "installed-reader" and backend == "process":  # made root-only, not hidden
            assert summary["read"] == [], summary
        elif case.name == "installed-reader":
            assert summary["import"].startswith("ImportError"), summary
            assert summary["read"] == [] and all(v == [] for k, v in summary["folders"].items()
                                                 if k.startswith("/usr/local/")), summary
        if case.name == "ipc-keyring":
            denied = "Operation not permitted"
            assert (summary["session_keyring"], summary["user_keyring"], summary["add_key"]) == (denied,) * 3
            if backend == "process":  # the container's IPC objects and host name (README, "Sandbox backends")
                assert summary["hostname"] == socket.gethostname()
            else:
                assert (summary["sysv_shm"], summary["sysv_msg"], summary["sysv_sem"]) == (0, 0, 0)  # its own IPC
                assert summary["hostname"] == "sandbox"
        if case.name == "snooper":  # no host path of the reference, even in /proc/self/mountinfo
            assert not any(str(lab.reference) in root for root in summary["mount_roots"]), summary["mount_roots"]
            assert summary["tokens"] == [] and summary["shadow"] is False
            # process: what its container leaves readable by all, this checkout here (README, "Sandbox backends")
            hidden = ("/grader", "/tmp") if backend == "process" else ("/grader", "/tmp", str(REPO))
            assert not any(p.startswith(hidden) for p in summary["read"]), summary["read"]
    else:
        assert result.score == 0
        for said in case.said(backend):
            assert said in result.output, f"{said!r} not in the feedback:\n{result.output}"


@pytest.mark.parametrize("flood", ["stdout-flood", "socket-flood"])
def test_a_flood_keeps_the_grader_small(flood: str, lab: Assignment, tmp_path: Path) -> None:
    """200 MB on stdout, or 1 GB sent to a scripted client: the driver keeps 1 MiB of a stream and
    `received_mb` (8 here) of what clients receive, so its peak memory stays small (local backend: the driver is a
    descendant of this fresh process, whose RUSAGE_CHILDREN peak covers it)."""
    scenario = next(s for s in lab.scenarios if s.name == ONE_LINE)
    submission = materialize(flood, tmp_path / "flood", lab.reference)
    code = f"""
import json, resource, sys
from pathlib import Path
from grader.assignment import load_assignment
from grader.run import grade_scenario, prepare
from grader.sandbox import open_backend
lab = load_assignment({str(lab.root)!r})
scenario = next(s for s in lab.scenarios if s.name == {ONE_LINE!r})
box = open_backend("local")
try:
    handin, staged = prepare(Path({str(submission)!r}), lab, Path({str(tmp_path)!r}) / "s")
    result, graded = grade_scenario(box, lab, scenario, staged, handin.files)
    outcome = graded.to_json()  # the wire form: read as JSON
finally:
    box.close()
print(json.dumps({{"children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "bytes": outcome["programs"]["server"]["stdout_bytes"], "output": result.output,
                  "error": result.error}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                          timeout=scenario.timeout + 60)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    assert not seen["error"], seen["output"]
    if flood == "stdout-flood":
        assert seen["bytes"] == 200_000_000
        assert "stdout: 200.0 MB written, first 1 MiB kept" in seen["output"]
        assert seen["children_kb"] < 80_000, seen  # the driver (and the flooding program): not 200 MB
    else:
        assert "more than expected" in seen["output"] and "the grader keeps 8 MiB" in seen["output"]
        assert seen["children_kb"] < 80_000, seen  # the driver: 8 MiB kept at most, not what it was sent
    assert seen["self_kb"] < 200_000, seen


# -- a class mixing normal and hostile submissions -------------------------------------------------

NORMAL = ("echo-concurrent-dana", "echo-concurrent-frank")


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_class_run_with_hostile_submissions(backend: str, lab: Assignment, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    klass = tmp_path / "class"
    klass.mkdir()
    for name in NORMAL:
        shutil.copytree(EXAMPLES / name, klass / name)
    hostile = [c.name for c in CASES]
    since = time.time()
    with planted(tmp_path, lab.reference, monkeypatch, backend) as bait, \
            isolated_run(tmp_path / "tmp", monkeypatch) as run:
        for name in hostile:
            materialize(name, klass / name, lab.reference)
        solo = solo_scores(backend, lab, [klass / n for n in NORMAL])
        out = tmp_path / "report"
        done = subprocess.run([sys.executable, "-m", "grader.cli", str(klass), "-a", str(lab.root),
                               "--backend", backend, "-j", "2", "-o", str(out), "--no-cache"],
                              capture_output=True, text=True, cwd=REPO, timeout=600, stdin=subprocess.DEVNULL)
        bait.untouched(reached=backend == "process")  # the net-prober is in the class
        assert leftovers(run, tmp_path / "tmp", since, backend == "docker") == []
    assert done.returncode == 0, done.stdout + done.stderr
    results = {s["name"]: s for s in json.loads((out / "results.json").read_text())["submissions"]}
    assert set(results) == {*NORMAL, *hostile}
    for name in NORMAL:
        assert results[name]["score"] == solo[name], (name, results[name])
    for name in hostile:
        sub = results[name]
        assert isinstance(sub["score"], (int, float)) and sub["tests"], sub
        case = next(c for c in CASES if c.name == name)
        if not case.passes:
            assert sub["score"] < sub["max_score"], sub
            failed = [t for t in sub["tests"] if t["status"] != "passed"]
            assert all(t["output"].strip() for t in failed), name
            said = [t["output"] for t in failed]
            assert any(s in out for out in said for s in case.said(backend)), (name, said)
    many = results["many-files"]
    assert all("more than 2000 files" in t["output"] for t in many["tests"]), many
    assert not any(t["error"] for t in many["tests"]), "a refused hand-in is the student's 0, not a grader fault"
    everything = "\n".join(p.read_text(errors="replace") for p in out.rglob("*") if p.is_file())
    no_secret_in(everything, bait)
    assert re.search(r"stdout: 200\.0 MB written, first 1 MiB kept", (out / "report.html").read_text())


def solo_scores(backend: str, lab: Assignment, submissions: list[Path]) -> dict[str, float]:
    """Each normal submission graded alone, in this process (the same scenarios, the same backend)."""
    box = open_backend(backend)
    scores = {}
    try:
        for sub in submissions:
            handin, staged = prepare(sub, lab, Path(tempfile.mkdtemp(prefix="labgrade-submission-")) / "s")
            scores[sub.name] = sum(grade_scenario(box, lab, s, staged, handin.files)[0].score for s in lab.scenarios)
            shutil.rmtree(staged.parent)
    finally:
        box.close()
    return scores


def test_the_corpus_is_what_the_readme_lists() -> None:
    listed = set(re.findall(r"^\| `([a-z-]+)/` \|", (CORPUS / "README.md").read_text(), re.M))
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith(".")}
    assert listed == folders == {c.name for c in CASES}


def test_limit_reasons_come_from_the_signal_and_the_cgroup_counters(tmp_path: Path) -> None:
    """The counters' files as the kernel writes them (v1 memory, v2 memory, pids), read back."""
    from grader.driver.jail import StudentPreexec
    from grader.driver.program import truncation_note

    v1, v2, pids = tmp_path / "memory", tmp_path / "unified", tmp_path / "pids"
    for d in (v1, v2, pids):
        d.mkdir()
    (v1 / "memory.oom_control").write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 1\n")
    (v2 / "memory.events").write_text("low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 0\n")
    (pids / "pids.events").write_text("max 3\n")
    limits = {"cpu_seconds": 2.5, "memory_mb": 64, "file_size_mb": 1, "max_processes": 16}
    box = StudentPreexec(root=None, cwd="/", uid=None, gid=None, limits={**limits, "cgroup_dirs": [str(v1)]},
                         cgroups=[str(pids / "cgroup.procs")])
    assert box.why(9) == ["out of memory: it was killed for using more than 64 MB",
                          "process limit reached: fork() failed 3 times, at most 16 processes"]
    assert box.why(24)[0] == "CPU time limit of 2.5 s used up"  # SIGXCPU
    both = StudentPreexec(root=None, cwd="/", uid=None, gid=None, cgroups=[],
                          limits={**limits, "cgroup_dirs": [str(v1), str(v2)]})
    assert both.why(None) == ["out of memory: the kernel killed 2 processes of the submission for using "
                              "more than 64 MB"]
    assert StudentPreexec(root=None, cwd="/", uid=None, gid=None, limits={}, cgroups=[]).why(15) == []
    assert truncation_note("stdout", 200_000_000, 1 << 20) == "stdout: 200.0 MB written, first 1 MiB kept"
    assert truncation_note("stderr", 2000, 1000) == "stderr: 2000 bytes written, first 1000 bytes kept"
