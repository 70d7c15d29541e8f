"""locate(): where each declared file of a submission is, as a HandIn (theory of operation:
grader/handin/__init__.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..i18n import Nn_, _, ngettext
from .names import DIR, _and, _depth, _listing, _parent, shown
from .reading import _Item
from .view import _View


@dataclass(frozen=True)
class HandIn:
    source: Path  # the submission as given: a folder, or an archive file
    root: str  # posix path, in the unpacked view, of the folder that is staged; "" = the top
    files: dict[str, str]  # declared name -> its path relative to root (posix)
    missing: tuple[str, ...]  # declared names not found
    ambiguous: dict[str, tuple[str, ...]]  # declared name -> the competing paths (unpacked view)
    notes: tuple[str, ...]  # what a student must be told: where files were found, what was ignored and why
    declared: tuple[str, ...] = ()  # the names the lab asks for, in its order (for the problems' wording)
    python_files: tuple[str, ...] = ()  # every .py file of the view (unpacked view paths, sorted)

    @property
    def problems(self) -> tuple[str, ...]:
        """One sentence per missing or ambiguous file, in the lab's order: the student's finding."""
        declared = self.declared or (*self.files, *self.missing, *self.ambiguous)
        problems = []
        for name in declared:
            if name in self.missing:
                problems.append(self._missing(name, declared))
            elif name in self.ambiguous:
                paths = self.ambiguous[name]
                problems.append(_("{name} is handed in {count} times, with different contents: {paths}. Keep only "
                                  "the one to grade.").format(name=shown(name), count=len(paths),
                                                              paths=_listing(paths)))
        return tuple(problems)

    def _missing(self, name: str, declared: Sequence[str]) -> str:
        if not set(declared) <= set(self.missing):
            text = _("{name} is missing: the lab asks for {declared}, and no file handed in is called {name}.")
        elif self.python_files:  # nothing found: say what was handed in
            text = _("{name} is missing: the lab asks for {declared}, and no file handed in is called {name} (files "
                     "handed in: {files}).")
        else:
            text = _("{name} is missing: the lab asks for {declared}, and no file handed in is called {name} (no .py "
                     "file handed in).")
        return text.format(name=shown(name), declared=_and(declared), files=_listing(self.python_files))


@dataclass(frozen=True)
class _Choice:
    name: str
    path: str | None = None  # None: missing or ambiguous
    competing: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def _choose(view: _View, name: str, files: list[_Item]) -> _Choice:
    """The copy of a declared file to grade: the shallowest (see the module's docstring)."""
    exact = [f for f in files if f.path.rpartition("/")[2] == name]
    pool = exact or [f for f in files if f.path.rpartition("/")[2].casefold() == name.casefold()]
    if not pool:
        return _Choice(name)
    top = min(_depth(f.path) for f in pool)
    level = sorted((f for f in pool if _depth(f.path) == top), key=lambda f: f.path)
    paths = tuple(f.path for f in level)
    if len(level) > 1:
        first = view.digest(level[0])
        if any(view.digest(f) != first for f in level[1:]):
            return _Choice(name, competing=paths)
    chosen, notes = level[0].path, []
    if len(level) > 1:
        notes.append(_("{name} is handed in {count} times, with the same contents ({paths}): {chosen} was "
                       "graded.").format(name=shown(name), count=len(level), paths=_listing(paths),
                                         chosen=shown(chosen)))
    if not exact:
        notes.append(_("{chosen} was graded as {name}: the lab asks for {name} (names are case-sensitive: rename "
                       "it).").format(chosen=shown(chosen), name=shown(name)))
    deeper = sorted(f.path for f in pool if _depth(f.path) > top)
    if deeper:
        notes.append(_("Other copies of {name}, deeper down, were not graded: {paths}.").format(
            name=shown(name), paths=_listing(deeper)))
    return _Choice(name, chosen, notes=tuple(notes))


def _common_folder(paths: Iterable[str]) -> str:
    folders = [_parent(p).split("/") if "/" in p else [] for p in paths]
    common: list[str] = []
    for parts in zip(*folders, strict=False):
        if any(p != parts[0] for p in parts):
            break
        common.append(parts[0])
    return "/".join(common)


_FOUND = {  # where files were found (_where): the note, for one file and for several
    "folder": Nn_("{names} was found in {folder}/ (not at the top of the hand-in): graded from there.",
                  "{names} were found in {folder}/ (not at the top of the hand-in): graded from there."),
    "archive": Nn_("{names} was found inside {archive}: graded from there.",
                   "{names} were found inside {archive}: graded from there."),
    "folder in archive": Nn_("{names} was found in {folder}/ inside {archive}: graded from there.",
                             "{names} were found in {folder}/ inside {archive}: graded from there."),
}


def _where(folder: str, archives: set[str]) -> tuple[str, str, str]:
    """(a key of _FOUND, the folder, the archive): ("folder", "TP2", ""), ("archive", "", "tp2.zip"),
    ("folder in archive", "TP2", "tp2.zip")."""
    parts = folder.split("/")
    last = max((k for k in range(len(parts)) if "/".join(parts[:k + 1]) in archives), default=-1)
    if last < 0:
        return "folder", folder, ""
    archive, rest = "/".join(parts[:last + 1]), "/".join(parts[last + 1:])
    return ("folder in archive" if rest else "archive"), rest, archive


def _found(names: Sequence[str], folder: str, archives: set[str]) -> str:
    """The note that `names` were found in `folder` (in the unpacked view), not at the top of the hand-in."""
    kind, inner, archive = _where(folder, archives)
    return ngettext(*_FOUND[kind], len(names)).format(names=_and(names), folder=shown(inner), archive=shown(archive))


def locate(submission: Path, declared: Sequence[str]) -> HandIn:
    """Where each declared file of a submission is (a folder, or an archive file). Reads only: folders are walked,
    archives listed; nothing is extracted. Raises SubmissionUnusable past the limits, UsageError when the
    submission is neither a folder nor an archive; a damaged archive is a note."""
    with _View(submission, None) as view:
        items = list(view.items())
        files = [i for i in items if i.kind != DIR]
        choices = [_choose(view, name, files) for name in declared]
    found = {c.name: c.path for c in choices if c.path is not None}
    root = _common_folder(found.values())
    notes = []
    if root:
        notes.append(_found(list(found), root, view.archives))
    for name, path in found.items():
        if _parent(path) != root:
            notes.append(_found([name], _parent(path), view.archives))
    prefix = f"{root}/" if root else ""
    return HandIn(
        source=submission, root=root, files={name: path[len(prefix):] for name, path in found.items()},
        missing=tuple(c.name for c in choices if c.path is None and not c.competing),
        ambiguous={c.name: c.competing for c in choices if c.competing},
        notes=(*notes, *(n for c in choices for n in c.notes), *view.notes),
        declared=tuple(declared), python_files=tuple(sorted(f.path for f in files if f.path.lower().endswith(".py"))))
