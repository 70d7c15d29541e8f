"""A lab's reference as one folder, with the files other labs share with it (assignment.yaml `shared:`).

A lab that shares nothing is its own folder, used in place. One that shares files gets a merged
copy, made once under the cache folder (grader/cache.py) and named by its content, so that the
sandboxes, which mount or copy one folder, see every reference file.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from pathlib import Path

from .assignment import Assignment
from .cache import default_cache_dir


def copy_reference(assignment: Assignment, dest: Path) -> Path:
    """The lab's reference copied to `dest` (which must not exist), shared files included."""
    shutil.copytree(assignment.reference, dest)
    for name, source in assignment.shared.items():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest / name)
    return dest


def reference_folder(assignment: Assignment) -> Path:
    """One folder holding the whole reference: the lab's own, or a merged copy when it shares files."""
    if not assignment.shared:
        return assignment.reference
    h = hashlib.sha256()
    for path in sorted(p for p in assignment.reference.rglob("*") if p.is_file()):
        h.update(b"%s\0%s\0" % (str(path.relative_to(assignment.reference)).encode(), path.read_bytes()))
    for name, source in sorted(assignment.shared.items()):
        h.update(b"%s\0%s\0" % (name.encode(), source.read_bytes()))
    folder = default_cache_dir() / "references" / h.hexdigest()[:32]
    if not folder.is_dir():
        folder.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
            made = copy_reference(assignment, Path(tmp) / "reference")
            with contextlib.suppress(OSError):  # another grader made it meanwhile: the same content
                made.rename(folder)
    return folder
