"""Which lab a class folder is for, when `grade` is not told (-a), and whether -a looks wrong: GitHub
Classroom names clones `<assignment>-<login>`."""

from __future__ import annotations

from pathlib import Path

from .assignment import list_labs
from .errors import UsageError
from .i18n import _


def named_lab(path: Path, submissions: list[Path], labs: list[str]) -> str | None:
    """GitHub Classroom names clones `<assignment>-<login>`: the longest of `labs` that prefixes
    the class folder's name, or every submission's name (None: no lab does)."""
    for lab in sorted(labs, key=len, reverse=True):
        if path.resolve().name.startswith(lab) or (submissions and all(s.name.startswith(lab) for s in submissions)):
            return lab
    return None


def infer_lab(path: Path, submissions: list[Path]) -> str:
    """The lab the folder names say (named_lab), for a run without -a."""
    lab = named_lab(path, submissions, list_labs())
    if lab is None:
        raise UsageError(_("cannot tell which lab {path} is for: pass -a/--assignment, one of: {labs}").format(
            path=path, labs=", ".join(list_labs())))
    return lab


def other_lab(assignment: str, path: Path, submissions: list[Path]) -> str | None:
    """The lab the folder names say, when it is another than `assignment` (-a's): the longest lab
    name, `assignment`'s included, that prefixes them (named_lab)."""
    named = named_lab(path, submissions, [*list_labs(), assignment])
    return None if named in (None, assignment) else named
