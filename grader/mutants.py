"""Known-bad variants of a lab's reference: `assignments/LAB/mutants/NAME/`.

A mutant folder holds `mutant.yaml` (`description:` and `fails: [tags]`, the tags under which it
must lose points and only there) and its bug, as one of:
- `FILE.patch`: a unified diff against `reference/LAB/FILE` (the usual case: the bug reads at a
  glance, and a change to the reference that the patch no longer fits is reported, not ignored);
- `FILE`: a whole file that replaces or joins the reference's (for a rewrite, e.g. threads
  instead of fork).
`materialize` builds the variant as a submission folder: the reference, then the bug on top.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import whatthepatch  # type: ignore[import-untyped]

from .assignment import Assignment
from .assignment.load import read_checked
from .assignment.model import TAGS
from .errors import AssignmentError
from .i18n import _
from .reference import copy_reference

MANIFEST = "mutant.yaml"


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str
    fails: frozenset[str]
    folder: Path


def load_mutant(folder: Path, tags: tuple[str, ...] = TAGS) -> Mutant:
    """The mutant in `folder`; `tags`: those its `fails:` may name (Assignment.tags)."""
    path = folder / MANIFEST
    if not path.is_file():
        raise AssignmentError(path, None, _("missing: each mutant declares `description:` and `fails: [tags]`"))
    data, _lines = read_checked(path, "mutant", tags)  # file:line messages; schema/mutant.schema.json
    return Mutant(folder.name, data["description"], frozenset(data["fails"]), folder)


def mutants_of(assignment: Assignment) -> list[Mutant]:
    return [load_mutant(d, assignment.tags) for d in sorted((assignment.root / "mutants").glob("*")) if d.is_dir()]


def apply_patch(patch: Path, target: Path) -> None:
    """Apply a unified diff to `target` in place; the context must match exactly."""
    try:
        diffs = list(whatthepatch.parse_patch(patch.read_text(encoding="utf-8")))
    except UnicodeDecodeError:
        raise AssignmentError(patch, None, _("is not UTF-8 text: make it with `diff -u`")) from None
    if len(diffs) != 1 or not diffs[0].changes:
        raise AssignmentError(patch, None, _("must hold exactly one unified diff (make it with `diff -u`)"))
    if not target.is_file():
        raise AssignmentError(patch, None, _("patches {file}, which the reference does not have").format(
            file=target.name))
    try:
        lines = whatthepatch.apply_diff(diffs[0], target.read_text().splitlines())
    except whatthepatch.exceptions.HunkApplyException as e:
        raise AssignmentError(patch, None, _("no longer fits the reference's {file} ({error}): remake it with "
                                             "`diff -u` against the current reference").format(
            file=target.name, error=e)) from None
    target.write_text("\n".join(lines) + "\n")


def materialize(assignment: Assignment, mutant: Mutant, dest: Path) -> Path:
    """The mutant as a submission folder at `dest`: the reference's files with the bug applied."""
    copy_reference(assignment, dest)
    for src in sorted(mutant.folder.iterdir()):
        if src.name == MANIFEST:
            continue
        if src.suffix == ".patch":
            apply_patch(src, dest / src.name.removesuffix(".patch"))
        elif src.is_dir():
            shutil.copytree(src, dest / src.name, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dest / src.name)
    return dest
