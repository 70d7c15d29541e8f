"""The unpacked view of a submission: its folders walked, its archives opened (archives.py), its copies compared
(theory of operation: grader/handin/__init__.py)."""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterator
from functools import partial
from typing import IO

from ..errors import UsageError
from ..i18n import _, ngettext
from .archives import _Archives
from .names import (
    _DAMAGE,
    DIR,
    FILE,
    LINK,
    MAX_BYTES,
    SubmissionUnusable,
    _archive_kind,
    _join,
    _listing,
    _relevant,
    _why,
    is_junk,
    shown,
)
from .reading import _Item, _open_regular


class _View(_Archives):
    """One submission's unpacked view, walked once: by locate() whole (`within` None: it counts entries and
    reads every tar member), by stage() toward `within`, the root it stages."""

    # -- walking

    def items(self) -> Iterator[_Item]:
        """Every entry of the view (toward `within`), folders before what they hold."""
        kind = _archive_kind(self.source.name)
        if self.source.is_dir():
            yield from self._folder()
        elif self.source.is_file() and kind is not None:
            yield from self._archive("", kind, 1, None, partial(self._hold, str(self.source)), None)
        elif os.path.lexists(self.source):
            raise UsageError(_("{path}: neither a folder nor an archive (.zip, .tar.gz...)").format(path=self.source))
        else:
            raise UsageError(_("{path}: no such file or folder").format(path=self.source))

    def _hold(self, path: str) -> IO[bytes]:
        return self.stack.enter_context(_open_regular(path))

    def _folder(self) -> Iterator[_Item]:
        pending, special = [(str(self.source), "")], []
        while pending:
            folder, prefix = pending.pop()
            below = []
            for entry in self._scan(folder, prefix):
                path = _join(prefix, entry.name)
                if is_junk(entry.name) or not _relevant(path, self.within):
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                    target = os.readlink(entry.path) if stat.S_ISLNK(st.st_mode) else ""
                except OSError as e:
                    self.notes.append(_("{path} cannot be read ({why}): it was ignored.").format(path=shown(path),
                                                                                               why=_why(e)))
                    continue
                if stat.S_ISLNK(st.st_mode):
                    yield from self._add(_Item(path, LINK, target=target))
                elif stat.S_ISDIR(st.st_mode):
                    yield from self._add(_Item(path, DIR))
                    below.append((entry.path, path))
                elif stat.S_ISREG(st.st_mode):
                    file = _Item(path, FILE, executable=bool(st.st_mode & stat.S_IXUSR),
                                 opener=partial(_open_regular, entry.path))
                    kind = _archive_kind(entry.name)
                    if kind is None:
                        yield from self._add(file)
                    else:
                        yield from self._archive(path, kind, 1, file, partial(self._hold, entry.path), None)
                else:
                    self._count(path)
                    special.append(path)
            pending.extend(reversed(below))
        if special:
            self.notes.append(ngettext(
                "{count} entry of the submission {name} that is not a regular file (a pipe, a socket, a device) was "
                "ignored ({names}).",
                "{count} entries of the submission {name} that are not a regular file (a pipe, a socket, a device) "
                "were ignored ({names}).", len(special)).format(count=len(special), name=self.name,
                                                                names=_listing(special)))

    def _scan(self, folder: str, prefix: str) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as it:
                return sorted(it, key=lambda e: e.name)
        except OSError as e:
            if not prefix:
                raise SubmissionUnusable(_("not graded: the submission {name} cannot be read ({why})").format(
                    name=self.name, why=_why(e))) from e
            self.notes.append(_("{folder}/ cannot be read ({why}): what it holds was ignored.").format(
                folder=shown(prefix), why=_why(e)))
            return []

    # -- comparing

    def digest(self, item: _Item) -> str:
        """What two copies must share to be the same file (a damaged one is like no other)."""
        if item.digest is not None:
            return item.digest
        if item.kind == LINK:
            return hashlib.sha256(b"link\0" + item.target.encode("utf-8", "surrogateescape")).hexdigest()
        h = hashlib.sha256()
        try:
            for chunk in self.chunks(item, MAX_BYTES):
                h.update(chunk)
        except _DAMAGE as e:
            self.notes.append(_("{path} cannot be read ({why}).").format(path=shown(item.path), why=_why(e)))
            return f"damaged {item.path}"
        return h.hexdigest()
