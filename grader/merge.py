"""`grade merge OUT_DIR... [-o OUT]`: one report set from the output folders of a sharded run.

Each `grade --shard K/N -o OUT_DIR` writes a results.json holding everything the reporters read
(grader/results.py); merging reads them back, refuses folders of different assignments or
holding the same submission twice, puts the submissions in the order a single run lists them
(by name), and writes the same reports a single run over the whole class would have written
(results.json, grades.csv, junit.xml, report.html, the Gradescope folders), with every shard's
logs/ copied into OUT/logs/. A shard's folder also holds shard.json (`{"shard": "K/N"}`), so that
a merge missing a shard, or mixing shards of different N, is refused instead of giving a class
without some of its students. With `--overrides FILE`, the file's overrides replace the ones the
shards carry (grader/overrides.py), and each must name a submission of the merged class.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .errors import UsageError
from .i18n import _
from .results import ClassResult

SHARD_NOTE = "shard.json"


def write_shard_note(out: Path, shard: str | None) -> None:
    """Mark `out` as the folder of shard "K/N" (None: of a whole run, the mark of an older run goes)."""
    if shard is None:
        (out / SHARD_NOTE).unlink(missing_ok=True)
        return
    out.mkdir(parents=True, exist_ok=True)
    (out / SHARD_NOTE).write_text(json.dumps({"shard": shard}) + "\n")


def read_shard_note(folder: Path) -> tuple[int, int] | None:
    """(K, N) of a shard's folder; None for the folder of a whole run."""
    try:
        k, _slash, n = str(json.loads((folder / SHARD_NOTE).read_text())["shard"]).partition("/")
        return int(k), int(n)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UsageError(_("{file}: unreadable ({error})").format(file=folder / SHARD_NOTE, error=e)) from None


def check_shards(folders: list[Path]) -> None:
    """Shards of one split, each once, none missing."""
    notes = {f: note for f in folders if (note := read_shard_note(f))}
    counts = {n for _, n in notes.values()}
    if len(counts) > 1:
        raise UsageError(_("these shards come from different splits ({shards}): merge the shards of one run "
                           "only").format(shards=", ".join(f"{f}: {k}/{n}" for f, (k, n) in notes.items())))
    seen: dict[int, Path] = {}
    for folder, (k, n) in notes.items():
        if k in seen:
            raise UsageError(_("shard {shard} is given twice: {first} and {second}").format(
                shard=f"{k}/{n}", first=seen[k], second=folder))
        seen[k] = folder
    if notes and len(notes) == len(folders):
        n = counts.pop()
        missing = sorted(set(range(1, n + 1)) - set(seen))
        if missing:
            raise UsageError(_("shard(s) {shards} missing: their students would be left out of the report; give "
                               "every shard's folder").format(shards=", ".join(f"{k}/{n}" for k in missing)))


def read_results(folder: Path) -> ClassResult:
    path = folder / "results.json"
    try:
        return ClassResult.from_json(json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise UsageError(_("{file}: not found; give the -o folders of `grade --shard K/N` runs").format(
            file=path)) from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise UsageError(_("{file}: not a labgrade results.json ({error}); was it written by an older grader?").format(
            file=path, error=e)) from None


def merge(parts: list[tuple[Path, ClassResult]]) -> ClassResult:
    """One class from its shards; UsageError when they do not belong together."""
    if not parts:
        raise UsageError(_("nothing to merge: give the output folders of the shards"))
    labs = {r.assignment for _, r in parts}
    if len(labs) > 1:
        where = "; ".join(f"{folder}: {r.assignment}" for folder, r in parts)
        raise UsageError(_("these folders grade different assignments ({labs}): merge the shards of one run "
                           "only").format(labs=where))
    seen: dict[str, Path] = {}
    for folder, r in parts:
        for s in r.submissions:
            if s.name in seen:
                raise UsageError(_("submission {name!r} is in both {first} and {second}: the shards overlap (were "
                                   "they made with the same N, and each folder given once?)").format(
                    name=s.name, first=seen[s.name], second=folder))
            seen[s.name] = folder
    subs = sorted((s for _, r in parts for s in r.submissions), key=lambda s: s.name)
    return ClassResult(parts[0][1].assignment, tuple(subs))


def copy_logs(folders: list[Path], out: Path) -> None:
    for folder in folders:
        logs = folder / "logs"
        if logs.is_dir() and logs.resolve() != (out / "logs").resolve():
            shutil.copytree(logs, out / "logs", dirs_exist_ok=True)
