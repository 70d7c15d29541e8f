"""The output folder (`-o`) of `grade` and `grade selfcheck`: what an earlier run left in it.

A run writes, beside the class's reports, a folder per submission (its Gradescope results.json,
report/__init__.py) and a log per submission (logs/NAME.log). A later run into the same folder
with fewer submissions would leave the others behind, to be taken for this run's. So before
grading, `clear_stale` removes what the earlier run made for the submissions this run does not
grade, recognised safely: only submissions that the earlier run's results.json lists (labgrade
wrote it), only a folder holding nothing but its results.json and only a regular file for a
log; a folder holding anything else is left, and named in a warning.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .i18n import N_, _
from .report import safe_name
from .results import ClassResult

REMOVED = N_("Removed what an earlier run wrote in {out}/ for {n} submission(s) that this run does not grade "
           "(their results.json folders and logs): {names}")
KEPT = N_("warning: {folder}/ is the folder of a submission of an earlier run that this run does not grade, but it "
        "holds files labgrade did not write: left as it is (remove it if it is not yours)")


def earlier_run(out: Path) -> ClassResult | None:
    """The class that labgrade's results.json in `out` describes, if it holds one."""
    try:
        return ClassResult.from_json(json.loads((out / "results.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class Stale:
    out: Path
    removed: tuple[str, ...] = ()  # the submissions whose folder or log was removed
    kept: tuple[Path, ...] = ()  # their folders holding other files too: left as they are

    def messages(self) -> list[str]:
        done = [_(REMOVED).format(out=self.out, n=len(self.removed), names=", ".join(self.removed))] if self.removed \
            else []
        return done + [_(KEPT).format(folder=folder) for folder in self.kept]


def _a_name(name: str) -> bool:
    """A submission's name, as labgrade names files after it: one path component."""
    return name not in ("", ".", "..") and "/" not in name and "\0" not in name


def _remove_report_folder(folder: Path) -> bool | None:
    """Remove a submission's report folder if it holds only labgrade's results.json: True when
    removed, False when it holds other files (left), None when there is none."""
    if folder.is_symlink() or not folder.is_dir():
        return None
    report = folder / "results.json"
    if [p.name for p in folder.iterdir()] != ["results.json"] or report.is_symlink() or not report.is_file():
        return False
    report.unlink()
    folder.rmdir()
    return True


def clear_stale(out: Path, graded: Iterable[str]) -> Stale:
    """Remove what the earlier run in `out` wrote for submissions not in `graded` (this run's names)."""
    earlier = earlier_run(out)
    if earlier is None:
        return Stale(out)
    names = set(graded)
    folders = {safe_name(n) for n in names}
    removed, kept = [], []
    for sub in earlier.submissions:
        name = sub.name
        if name in names or not _a_name(name):
            continue
        gone = False
        if safe_name(name) not in folders:
            folder = out / safe_name(name)
            done = _remove_report_folder(folder)
            gone = bool(done)
            if done is False:
                kept.append(folder)
        log = out / "logs" / f"{name}.log"
        if not log.is_symlink() and log.is_file():
            with contextlib.suppress(FileNotFoundError):
                log.unlink()
                gone = True
        if gone:
            removed.append(name)
    return Stale(out, tuple(removed), tuple(kept))
