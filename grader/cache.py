"""The result cache: a scenario graded once for a given submission is never graded again.

Theory of operation. A *unit* is what one cache entry holds: one scenario's TestResult, or the
results of all the assignment's checks written in Python together (they are one pytest file
set, selected by path). Its key is the sha256 of a canonical JSON document holding everything
its result depends on:

  * the submission's files, as `stage()` copies them (names, symlink targets, executable bit and
    contents; .git, __pycache__, *.pyc, .venv, node_modules left out);
  * the unit: the scenario's definition (name, tags, points, steps, feedback, visibility,
    timeout; not its file or line, so moving a scenario regrades nothing), or the digest of the
    assignment's other files (checks/*.py, conftest.py, assignment.yaml: what the checks run);
  * the assignment's name, programs, limits and language (every plan carries them; the feedback
    is written in the language);
  * the reference programs' files (peers in scenarios, calibration);
  * the grader version: a digest of every file of the `grader` package (driver, sandboxes,
    feedback), so that any change to the grader invalidates every entry;
  * the environment the verdict was measured in: the sandbox backend, the kernel release and
    the machine (the queue lab's capacity is the kernel's figure), and what runs the students'
    programs: the local sandbox's interpreter (path, size, modification time), or the id of the
    docker backend's grading image (a rebuilt image is a new environment).

An entry is a small JSON file `results-v1/<2 hex>/<key>.json`, written to a temporary file in the
same folder and renamed over the final name: readers see the old entry, the new one, or none,
never a part (parallel jobs, Ctrl-C, two `grade` runs sharing a folder). An entry that cannot be
read or does not hold what its unit needs is ignored, and overwritten when the unit is graded.
Only results a student earned are cached: never a grader error (`error=True`), never a
submission that could not be graded at all; those are graded again next time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import shutil
import stat
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .assignment import Assignment, Scenario
from .handin import MAX_BYTES, MAX_FILES, is_junk
from .results import TestResult
from .sandbox import BACKENDS

FORMAT = 1
ENTRIES = f"results-v{FORMAT}"  # the only folder `grade cache clear` removes: the cache dir may be shared
CHECKS_UNIT = ""  # the unit name of the Python checks ("" is never a scenario name: the schema needs one)
CHECK_FILES = ("test_*.py", "check_*.py")  # grading.ini's python_files
NOT_CHECKS = ("scenarios", "mutants")  # folders of an assignment the checks' digest leaves out
GRADER_PACKAGE = Path(__file__).resolve().parent


def default_cache_dir() -> Path:
    """$LABGRADE_CACHE, else $XDG_CACHE_HOME/labgrade, else ~/.cache/labgrade."""
    if os.environ.get("LABGRADE_CACHE"):
        return Path(os.environ["LABGRADE_CACHE"])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "labgrade"


def canonical(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces; YAML oddities (dates) as their str()."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_digest(root: Path, skip: tuple[str, ...] = ()) -> str | None:
    """A digest of a submission (a folder, or an archive file) with what staging leaves out
    (handin.JUNK) left out, or None when it cannot be cached (too large, as staging refuses it;
    unreadable; a FIFO or device, which reading could block on)."""
    h = hashlib.sha256()
    files, size = 0, 0
    try:
        if root.is_file():
            if root.stat().st_size > MAX_BYTES:
                return None
            with open(root, "rb") as f:
                return "archive:" + hashlib.file_digest(f, "sha256").hexdigest()
        for dirpath, dirs, names in os.walk(root):
            rel = Path(dirpath).relative_to(root)
            ignored = {n for n in [*dirs, *names] if is_junk(n)} | ({*skip} if rel == Path() else set())
            links = [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]  # kept as links, not followed
            dirs[:] = sorted(d for d in dirs if d not in ignored and d not in links)
            for name in sorted({*names, *links} - ignored):
                path = os.path.join(dirpath, name)
                st = os.lstat(path)
                files += 1
                size += st.st_size
                if files > MAX_FILES or size > MAX_BYTES:
                    return None
                entry = (rel / name).as_posix().encode()
                if stat.S_ISLNK(st.st_mode):
                    h.update(b"L\0" + entry + b"\0" + os.readlink(path).encode(errors="surrogateescape") + b"\0")
                elif stat.S_ISREG(st.st_mode):
                    with open(path, "rb") as f:
                        content = hashlib.file_digest(f, "sha256").hexdigest()
                    kind = b"X" if st.st_mode & stat.S_IXUSR else b"F"
                    h.update(kind + b"\0" + entry + b"\0" + content.encode() + b"\0")
                else:
                    return None
            for d in dirs:
                h.update(b"D\0" + (rel / d).as_posix().encode() + b"\0")
    except (OSError, UnicodeError):
        return None
    return h.hexdigest()


@cache
def grader_digest() -> str:
    """The grader version: every file of the grader package (its own cache of bytecode aside)."""
    digest = tree_digest(GRADER_PACKAGE, skip=("_data",))
    if digest is None:
        raise RuntimeError(f"cannot read the grader's own files in {GRADER_PACKAGE}")
    return digest


def environment(backend: str) -> dict[str, str]:
    env = {"backend": backend, "kernel": platform.release(), "machine": platform.machine()}
    try:
        if backend in BACKENDS:
            env.update(BACKENDS[backend].fingerprint())
    except Exception as e:  # the backend cannot run here: grading will say so; the key only must differ
        env["unavailable"] = type(e).__name__
    return env


def scenario_spec(s: Scenario) -> dict[str, Any]:
    return {"name": s.name, "tags": list(s.tags), "points": s.points, "steps": list(s.steps),
            "feedback": s.feedback, "visibility": s.visibility, "timeout": s.timeout, "requires": list(s.requires)}


def check_files(assignment: Assignment) -> list[Path]:
    """The files of checks written in Python that pytest collects in the assignment folder."""
    found = []
    for dirpath, dirs, names in os.walk(assignment.root):
        here = Path(dirpath)
        dirs[:] = sorted(d for d in dirs if not is_junk(d) and not (here == assignment.root and d in NOT_CHECKS))
        found += [here / n for n in sorted(names) if any(Path(n).match(p) for p in CHECK_FILES)]
    return found


@dataclass(frozen=True)
class Unit:
    name: str  # a scenario's name, or CHECKS_UNIT
    key: str


class Keys:
    """The keys of one assignment's units, for any submission: the assignment's part is hashed once."""

    def __init__(self, assignment: Assignment, backend: str) -> None:
        self.assignment = assignment
        self.checks = check_files(assignment)
        reference = tree_digest(assignment.reference)
        self.base = {
            "format": FORMAT, "grader": grader_digest(), "environment": environment(backend),
            "assignment": {"name": assignment.name, "handin": list(assignment.handin),
                           "programs": {n: [list(p.argv), p.kind] for n, p in sorted(assignment.programs.items())},
                           "limits": asdict(assignment.limits), "language": assignment.language},
            "reference": reference,
            # files other labs share with its reference (assignment.yaml `shared:`); absent: keys as before
            **({"shared": {n: sha256(p.read_bytes()) for n, p in sorted(assignment.shared.items())}}
               if assignment.shared else {}),
        }
        self.usable = reference is not None
        self.units: dict[str, Any] = {s.name: {"scenario": scenario_spec(s)} for s in assignment.scenarios}
        if self.checks:
            self.units[CHECKS_UNIT] = {"checks": tree_digest(assignment.root, skip=NOT_CHECKS)}
            self.usable = self.usable and self.units[CHECKS_UNIT]["checks"] is not None

    def for_submission(self, submission: Path) -> list[Unit] | None:
        """Every unit of the assignment with its key for this submission (None: not cacheable)."""
        digest = tree_digest(submission)
        if digest is None or not self.usable:
            return None
        return [Unit(name, sha256(canonical({**self.base, "submission": digest, "unit": spec})))
                for name, spec in self.units.items()]


@dataclass(frozen=True)
class CacheInfo:
    path: Path
    entries: int
    bytes: int


class ResultCache:
    """Entries on disk, one per unit key (see the module's docstring)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.entries = self.root / ENTRIES

    def _path(self, key: str) -> Path:
        return self.entries / key[:2] / f"{key}.json"

    def get(self, unit: Unit, scenario_names: Iterable[str] = ()) -> tuple[TestResult, ...] | None:
        """The unit's cached results, or None (absent, unreadable, or not what the unit holds)."""
        try:
            data = json.loads(self._path(unit.key).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT or data.get("key") != unit.key or data.get("unit") != unit.name:
                return None
            tests = tuple(TestResult.from_json(t) for t in data["tests"])
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return None
        if not tests or any(t.error for t in tests):
            return None
        if unit.name != CHECKS_UNIT and [t.name for t in tests] != [unit.name]:
            return None
        if unit.name == CHECKS_UNIT and set(scenario_names) & {t.name for t in tests}:
            return None
        return tests

    def put(self, unit: Unit, tests: tuple[TestResult, ...]) -> bool:
        """Store a unit's results atomically; results with a grader error are never stored."""
        if not tests or any(t.error for t in tests):
            return False
        path = self._path(unit.key)
        data = {"format": FORMAT, "key": unit.key, "unit": unit.name, "tests": [t.to_json() for t in tests]}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        except OSError:
            return False  # a cache that cannot be written costs time, never a grade
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(json.dumps(data, ensure_ascii=False))
            os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide entries from a CI cache saved by another user
            os.replace(tmp, path)
        except BaseException as e:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(e, OSError):  # a full disk, a `grade cache clear` meanwhile: not stored, that is all
                return False
            raise
        return True

    def info(self) -> CacheInfo:
        entries = size = 0
        if self.entries.is_dir():
            for p in self.entries.glob("*/*.json"):
                with contextlib.suppress(OSError):
                    size += p.stat().st_size
                    entries += not p.name.startswith(".tmp-")
        return CacheInfo(self.root, entries, size)

    def clear(self) -> int:
        """Remove every entry (and nothing else in the folder); returns how many there were."""
        count = self.info().entries
        shutil.rmtree(self.entries, ignore_errors=True)
        return count
