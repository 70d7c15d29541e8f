"""The unpacked view's state and its limits: what is placed in it, what is counted, what is read (theory of
operation: grader/handin/__init__.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Self

from ..i18n import _, ngettext
from .names import CHUNK, DIR, MAX_FILES, READ_LIMIT, SubmissionUnusable, _listing, _parent, _relevant, shown
from .reading import _WHY, _Ignored, _Item


class _Accounting:
    """One submission's unpacked view (grader/handin/view.py, _View), its state and its accounts: the entries
    placed, the notes, the read budget, what is held open."""

    def __init__(self, source: Path, within: str | None) -> None:
        self.source, self.within, self.listing = source, within, within is None
        self.name = shown(source.name)
        self.notes: list[str] = []
        self.archives: set[str] = set()  # view paths of the archives opened ("" for a submission that is one)
        self.kinds: dict[str, str] = {}  # view path -> DIR, FILE or LINK, for every entry placed so far
        self.entries = 0
        self.tar_headers = 0
        self.budget = READ_LIMIT
        self.stack = contextlib.ExitStack()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stack.close()

    # -- accounting

    def charge(self, size: int, where: str) -> None:
        self.budget -= size
        if self.budget < 0:
            raise SubmissionUnusable(_("not graded: reading the submission {name} means uncompressing more than "
                                       "{mb} MB (the limit was reached in {where}); hand in only the programs").format(
                name=self.name, mb=READ_LIMIT >> 20, where=shown(where or ".")))

    def inside(self, path: str) -> str | None:
        """The archive the submission holds that `path` is inside ("tp2.zip"), if any, as a message shows it."""
        archive = max((a for a in self.archives if a and path.startswith(f"{a}/")), key=len, default=None)
        return shown(archive) if archive else None

    def too_many_files(self, path: str) -> SubmissionUnusable:
        archive = self.inside(path)
        return SubmissionUnusable((_("not graded: the submission {name} holds more than {count} files and folders, "
                                     "counting what {archive} holds; hand in only the programs") if archive else
                                   _("not graded: the submission {name} holds more than {count} files and folders; "
                                     "hand in only the programs")).format(name=self.name, count=MAX_FILES,
                                                                          archive=archive))

    def _place(self, item: _Item) -> list[_Item] | None:
        """The item, after the folders above it not yet in the view (a zip need not list them); None when its
        name, or a folder above it, is already a file's (the first entry of a name wins)."""
        taken = self.kinds.get(item.path)
        if taken is not None:
            return [] if taken == DIR and item.kind == DIR else None
        missing, above = [], _parent(item.path)
        while above and above not in self.kinds:  # up to the nearest folder placed: all above it are folders
            missing.append(above)
            above = _parent(above)
        if above and self.kinds[above] != DIR:
            return None
        placed = [*(_Item(a, DIR) for a in reversed(missing)), item]
        for p in placed:
            self.kinds[p.path] = p.kind
        return placed

    def _add(self, item: _Item, ignored: _Ignored | None = None) -> Iterator[_Item]:
        placed = self._place(item)
        if placed is None:
            if ignored is not None:
                ignored.add("taken", item.path[len(ignored.path) + 1:] if ignored.path else item.path)
            return
        for p in placed:
            self._count(p.path)
            if _relevant(p.path, self.within):
                yield p

    def _count(self, path: str) -> None:
        if self.listing:
            self.entries += 1
            if self.entries > MAX_FILES:
                raise self.too_many_files(path)

    def _note_ignored(self, ignored: _Ignored) -> None:
        for why, (one, several) in _WHY.items():
            names = ignored.names.get(why, [])
            if names:
                self.notes.append(ngettext(one, several, len(names)).format(
                    archive=shown(ignored.archive), count=len(names), names=_listing(names)))

    def chunks(self, item: _Item, cap: int, charge: bool = True) -> Generator[bytes, None, None]:
        """A file's bytes (charged to the read budget unless already counted); past `cap`, SubmissionUnusable."""
        assert item.opener is not None, item
        total = 0
        with contextlib.closing(item.opener()) as f:
            while chunk := f.read(CHUNK):
                total += len(chunk)
                if total > cap:
                    raise SubmissionUnusable(_("not graded: {path} in the submission {name} is larger than {mb} MB; "
                                               "hand in only the programs").format(path=shown(item.path),
                                                                                   name=self.name, mb=cap >> 20))
                if charge and not item.counted:
                    self.charge(len(chunk), item.path)
                yield chunk
