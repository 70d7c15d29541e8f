"""Archives in a hand-in, opened as folders of the unpacked view: zip and tar (theory of operation:
grader/handin/__init__.py)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from functools import partial
from typing import IO

from ..i18n import _
from .accounting import _Accounting
from .names import (
    _DAMAGE,
    _READABLE_METHODS,
    CHUNK,
    DIR,
    DIRECTORY_LIMIT,
    FILE,
    MAX_ARCHIVE_ENTRIES,
    MAX_BYTES,
    MAX_ZIP_DEPTH,
    SPOOL,
    SubmissionUnusable,
    _archive_kind,
    _join,
    _Kind,
    _member_path,
    _relevant,
    _why,
    is_junk,
    shown,
)
from .reading import _extracted, _Ignored, _inflated, _Item, _Readable, _Rewound, _zip_directory_size


class _Counted:
    """A tar's uncompressed stream, charged to the view's read budget as it is read."""

    def __init__(self, inner: _Readable, view: _Accounting, where: str) -> None:
        self._inner, self._view, self._where, self._at = inner, view, where, 0

    def read(self, size: int = -1, /) -> bytes:
        if size < 0:
            return b"".join(iter(partial(self.read, CHUNK), b""))
        data = self._inner.read(size)
        self._at += len(data)
        self._view.charge(len(data), self._where)
        return data

    def tell(self) -> int:
        return self._at

    def seek(self, pos: int, /) -> int:
        raise OSError(errno.ESPIPE, "a tar is read in order")

    def write(self, b: bytes, /) -> int:
        raise OSError(errno.EBADF, "read only")

    def close(self) -> None:
        self._inner.close()



def _kept(name: str, ignored: _Ignored) -> str | None:
    """An archive member's path in its archive, or None when it is left out: an unsafe name (noted in
    `ignored`), junk, or the archive's top."""
    rel = _member_path(name)
    if rel is None:
        ignored.add("unsafe", name)
        return None
    if not rel or any(is_junk(p) for p in rel.split("/")):
        return None
    return rel


class _Archives(_Accounting):
    """The unpacked view's archives (grader/handin/view.py, _View): opened, listed, their members placed."""

    def _archive(self, path: str, kind: _Kind, level: int, file: _Item | None, load: Callable[[], IO[bytes]],
                 ignored: _Ignored | None) -> Iterator[_Item]:
        """An archive at `path` ("": the submission itself), opened as a folder when it can be; `file` is the
        archive as a plain file (None for the submission), `load` gives its bytes, seekable."""
        label = shown(path) if path else self.name
        if not kind.method or level > MAX_ZIP_DEPTH or not _relevant(path, self.within):
            if not kind.method:
                self.notes.append(_("{archive} cannot be opened: hand in a .zip, or the files themselves.").format(
                    archive=label))
            elif level > MAX_ZIP_DEPTH:
                self.notes.append(_("{archive} was not opened: archives are opened {depth} deep at most (an archive "
                                    "inside an archive); hand in the files themselves.").format(
                    archive=label, depth=MAX_ZIP_DEPTH))
            if file is not None:
                yield from self._add(file, ignored)
            return
        if path in self.kinds:  # the name is taken
            if ignored is not None:
                ignored.add("taken", path[len(ignored.path) + 1:] if ignored.path else path)
            return
        try:
            stream = load()
        except _DAMAGE as e:
            self.notes.append(_("{path} cannot be read ({why}): it was ignored.").format(path=label, why=_why(e)))
            return
        try:
            opened = self._open_zip(stream, path) if kind.method == "zip" else self._open_tar(stream, path, kind)
        except _DAMAGE:
            self.notes.append(_("{archive} cannot be opened: it is not a valid {kind} file.").format(
                archive=label, kind=kind.suffix[1:]))
            if file is not None:
                yield from self._add(_Item(path, FILE, opener=partial(_Rewound, stream), counted=True), ignored)
            return
        if path:
            yield from self._add(_Item(path, DIR), ignored)
        self.archives.add(path)
        if isinstance(opened, zipfile.ZipFile):
            yield from self._zip_members(opened, path, level)
        else:
            yield from self._tar_members(opened, path, level)

    def _open_zip(self, stream: IO[bytes], path: str) -> zipfile.ZipFile:
        size = _zip_directory_size(stream)
        if size > DIRECTORY_LIMIT:
            raise SubmissionUnusable((_("not graded: {archive} in the submission {name} lists too many entries (its "
                                        "table of contents alone is {kb} KB); hand in only the programs") if path else
                                      _("not graded: the submission {name} lists too many entries (its table of "
                                        "contents alone is {kb} KB); hand in only the programs")).format(
                archive=shown(path), name=self.name, kb=size >> 10))
        return self.stack.enter_context(zipfile.ZipFile(stream))

    def _open_tar(self, stream: IO[bytes], path: str, kind: _Kind) -> tarfile.TarFile:
        inflated = _Counted(_inflated(stream, kind.compression), self, path or self.source.name)
        self.stack.callback(inflated.close)
        return self.stack.enter_context(tarfile.open(fileobj=inflated, mode="r|"))  # reads the first header

    def _load(self, file: _Item) -> IO[bytes]:
        """An archive inside an archive, copied out to be opened (zipfile and tarfile need to seek)."""
        spool: IO[bytes] = self.stack.enter_context(tempfile.SpooledTemporaryFile(max_size=SPOOL))  # noqa: SIM115
        for chunk in self.chunks(file, MAX_BYTES):
            spool.write(chunk)
        spool.seek(0)
        return spool

    def _zip_members(self, zf: zipfile.ZipFile, path: str, level: int) -> Iterator[_Item]:
        ignored = _Ignored(path or self.source.name, path)
        try:
            for info in zf.infolist():
                rel = _kept(info.filename, ignored)
                if rel is None:
                    continue
                mode = info.external_attr >> 16
                fmt = stat.S_IFMT(mode)
                if info.is_dir() or fmt == stat.S_IFDIR:
                    yield from self._add(_Item(_join(path, rel), DIR), ignored)
                elif fmt == stat.S_IFLNK:
                    ignored.add("link", rel)
                elif fmt not in (0, stat.S_IFREG):
                    ignored.add("special", rel)
                elif info.flag_bits & 0x1:
                    ignored.add("encrypted", rel)
                elif info.compress_type not in _READABLE_METHODS:
                    ignored.add("method", rel)
                else:
                    file = _Item(_join(path, rel), FILE, executable=bool(mode & stat.S_IXUSR),
                                 opener=partial(zf.open, info))
                    yield from self._member(file, level, ignored)
        finally:
            self._note_ignored(ignored)

    def _tar_members(self, tf: tarfile.TarFile, path: str, level: int) -> Iterator[_Item]:
        ignored = _Ignored(path or self.source.name, path)
        label = shown(path) if path else self.name
        try:
            for ti in tf:
                self.tar_headers += 1
                if self.tar_headers > MAX_ARCHIVE_ENTRIES:
                    raise SubmissionUnusable(_("not graded: {archive} holds more than {count} entries; hand in only "
                                               "the programs").format(archive=label, count=MAX_ARCHIVE_ENTRIES))
                rel = _kept(ti.name, ignored)
                if rel is None:
                    continue
                where = _join(path, rel)
                if ti.isdir():
                    yield from self._add(_Item(where, DIR), ignored)
                elif ti.issym() or ti.islnk():
                    ignored.add("link", rel)
                elif not ti.isreg():
                    ignored.add("special", rel)
                else:
                    plain = partial(self._tar_file, tf, ti, where, bool(ti.mode & stat.S_IXUSR))
                    member = _Item(where, FILE, opener=partial(_extracted, tf, ti), counted=True)
                    yield from self._member(member, level, ignored, plain)
        except _DAMAGE as e:
            self.notes.append(_("{archive} is damaged ({why}): what comes after the damage was not read.").format(
                archive=label, why=_why(e)))
        finally:
            self._note_ignored(ignored)

    def _member(self, file: _Item, level: int, ignored: _Ignored,
                plain: Callable[[], _Item] | None = None) -> Iterator[_Item]:
        """An archive's member that is a file (`plain` makes the view's item for it, if not `file` itself); an
        archive is opened, one level below."""
        kind = _archive_kind(file.path.rpartition("/")[2])
        load = partial(self._load, file)
        if kind is None:
            yield from self._add(plain() if plain else file, ignored)
        elif not kind.method or level + 1 > MAX_ZIP_DEPTH:
            yield from self._archive(file.path, kind, level + 1, plain() if plain else file, load, ignored)
        else:
            yield from self._archive(file.path, kind, level + 1, file, load, ignored)

    def _tar_file(self, tf: tarfile.TarFile, ti: tarfile.TarInfo, path: str, executable: bool) -> _Item:
        """A tar member as a file: read now when listing (its digest), else readable until the next member."""
        if not self.listing:
            return _Item(path, FILE, executable, opener=partial(_extracted, tf, ti), counted=True)
        h = hashlib.sha256()
        with contextlib.closing(_extracted(tf, ti)) as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
        return _Item(path, FILE, executable, digest=h.hexdigest(), counted=True)
