"""A lab's reference as one folder, with the files other labs share with it (assignment.yaml `shared:`).

A lab that shares nothing is its own folder, used in place. One that shares files gets a merged
copy, made once per process in a temporary folder, so that the sandboxes, which mount or copy one
folder, see every reference file.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from .assignment import Assignment


def copy_reference(assignment: Assignment, dest: Path) -> Path:
    """The lab's reference copied to `dest` (which must not exist), shared files included."""
    shutil.copytree(assignment.reference, dest)
    for name, source in assignment.shared.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest / name)
    return dest


_MERGED: dict[tuple[Path, tuple[tuple[str, Path], ...]], Path] = {}  # the merged references this process made


def reference_folder(assignment: Assignment) -> Path:
    """One folder holding the whole reference: the lab's own, or a merged copy when it shares files,
    made once per process (every scenario's plan asks) in a temporary folder removed when the process
    exits (a grading writes nothing elsewhere: `grade check`, `--no-cache`)."""
    if not assignment.shared:
        return assignment.reference
    key = (assignment.reference, tuple(sorted(assignment.shared.items())))
    if key not in _MERGED or not _MERGED[key].is_dir():
        tmp = Path(tempfile.mkdtemp(prefix="labgrade-reference-"))
        atexit.register(shutil.rmtree, tmp, ignore_errors=True)
        _MERGED[key] = copy_reference(assignment, tmp / "reference")
    return _MERGED[key]
