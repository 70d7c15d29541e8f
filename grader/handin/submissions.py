"""find_submissions(): what `grade PATH` grades, one submission or a folder of them."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import UsageError
from ..i18n import _
from .names import _and, _archive_kind, _why, is_junk


def find_submissions(path: Path, declared: Sequence[str]) -> list[Path]:
    """What `grade PATH` grades: an archive file is one submission; a folder holding a declared file or a .py file
    at its top is one; otherwise each sub-folder and each archive file in it is one (hidden and junk ones aside),
    sorted by name."""
    if path.is_file() and _archive_kind(path.name) is not None:
        return [path]
    if not path.is_dir():
        if not os.path.lexists(path):
            raise UsageError(_("{path}: no such file or folder").format(path=path))
        raise UsageError(_("{path}: neither a folder nor an archive (give a folder of submissions, one submission "
                           "folder, or one archive)").format(path=path))
    try:
        entries = sorted(path.iterdir(), key=lambda p: p.name)
    except OSError as e:
        raise UsageError(_("{path}: cannot be read ({why})").format(path=path, why=_why(e))) from e
    wanted = {n.casefold() for n in declared}
    visible = [e for e in entries if not e.name.startswith(".") and not is_junk(e.name)]
    if any(e.is_file() and (e.name.casefold() in wanted or e.name.lower().endswith(".py")) for e in visible):
        return [path]
    subs = [e for e in visible if e.is_dir() or (e.is_file() and _archive_kind(e.name) is not None)]
    if not subs:
        raise UsageError(_("{path}: no submission in it: no {declared} nor other .py file at its top, and no "
                           "sub-folder or archive (.zip, .tar.gz...) holding one submission each").format(
            path=path, declared=_and(declared)))
    return subs
