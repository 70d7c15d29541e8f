"""`shared:` in assignment.yaml: reference files another lab keeps, instead of a copy of them.

    reference: ../../reference/select-client
    shared:                    # FILE: LAB, a lab beside this one, whose reference has FILE
      server.py: select-server

The other lab is the folder LAB beside this lab's folder (labs kept side by side, as in
assignments/), else the lab of that name labgrade knows (`grade -a LAB`: $LABGRADE_ASSIGNMENTS, the
bundled labs), so that a copy of a bundled lab still finds it; only its `reference:` is read.
The file must be its own there, not shared in turn, and this lab's reference folder must not
keep a copy of it. Whatever reads a lab's reference (staging peers, selfcheck, mutants, the
student edition, the cache key) goes through `Assignment.reference_file` or grader/reference.py,
never `Assignment.reference` alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..driver.i18n import _
from ..errors import AssignmentError
from .yamlfile import Lines, load_yaml


def load_shared(path: Path, meta: dict[str, Any], lines: Lines, reference: Path,
                roots: list[Path]) -> dict[str, Path]:
    """The files named in `shared:` (FILE -> the other lab's file), each checked at its line of `path`;
    `roots`: the folders of the labs labgrade knows, where LAB is looked for when it is not beside."""
    shared: dict[str, Path] = {}
    for name, lab in (meta.get("shared") or {}).items():
        line = lines.get(("shared", name), lines[("shared",)])
        found = [p for p in (path.parent.parent, *roots) if (p / lab / "assignment.yaml").is_file()]
        other = (found[0] if found else path.parent.parent) / lab / "assignment.yaml"
        try:
            theirs, _lines = load_yaml(other)
            folder = (other.parent / theirs["reference"]).resolve()
            own = name not in (theirs.get("shared") or {})
        except (AssignmentError, OSError, TypeError, KeyError, ValueError):
            raise AssignmentError(path, line, _("shared: {file}: no lab {lab!r} with a `reference:` (looked for "
                                                "{other}, and among the labs grade knows): name a lab beside this "
                                                "one").format(file=name, lab=lab, other=other)) from None
        if not own:
            raise AssignmentError(path, line, _("shared: {file}: lab {lab!r} shares it too: name the lab whose "
                                                "reference keeps it").format(file=name, lab=lab))
        if not (folder / name).is_file():
            raise AssignmentError(path, line, _("shared: {file}: the reference of lab {lab!r} has no {file} (looked "
                                                "for {where})").format(file=name, lab=lab, where=folder / name))
        if (reference / name).exists():
            raise AssignmentError(path, line, _("shared: {file}: this lab's reference has its own {file} ({where}): "
                                                "remove the copy, or this line").format(file=name,
                                                                                         where=reference / name))
        shared[name] = folder / name
    return shared
