"""Where a student's hand-in files are, whatever shape the hand-in has, and a private copy of them to grade.

Theory of operation.
  * The unpacked view. A submission (a folder, or an archive file) is read as one tree: folders as
    they are, each archive (.zip, .tar, .tar.gz, .tgz, .tar.bz2, .tar.xz) as a folder named after
    its file, so that the member TP2/server.py of tp2.zip is tp2.zip/TP2/server.py. An archive in
    an archive is opened too, MAX_ZIP_DEPTH archives deep at most (a submission that is an archive
    counts as the first); deeper ones, and the kinds that cannot be opened (.rar, .7z), stay plain
    files, with a note. JUNK (macOS and Windows litter, version control, caches, environments) is
    never part of the view. The view is walked in a fixed order (a folder's entries sorted by
    name, an archive's in its own order), and the first entry of a name wins: a later one with the
    same name, or under a name a file already holds, is ignored with a note.
  * locate() lists the whole view and finds each declared file: the files with its name, else with
    its name in another case; the shallowest wins; several at that depth are one file when their
    bytes are identical, else the student must choose (ambiguous). The hand-in's root is the
    deepest folder holding every file found. locate() writes nothing.
  * stage() walks the view again toward the root only, and writes what is under the root into a
    new folder: folders, files (0644, 0755 when executable), a folder's symlinks as symlinks (never
    followed), archives as folders of their members.
  * Nothing a student hands in is trusted. An archive member is kept only under a safe relative
    name (not absolute, no "..", no drive letter, no NUL, components of 255 bytes at most,
    MAX_MEMBER_DEPTH folders deep at most); links and devices inside archives are never extracted.
    Sizes are measured while reading, never taken from headers. Limits raise SubmissionUnusable
    (the student's 0, with the reason): past MAX_FILES entries in the view (locate) or written
    (stage); past MAX_BYTES written; past READ_LIMIT bytes read to list or compare (a .tar.gz is
    uncompressed to be listed, an archive in an archive is read to be opened, copies are read to
    be compared); a zip whose table of contents (which zipfile holds in memory) exceeds
    DIRECTORY_LIMIT, or tars holding more than MAX_ARCHIVE_ENTRIES headers. A damaged or encrypted
    archive is a note from locate() (what could be read still counts); a member found damaged
    while stage() extracts it makes the hand-in unusable, with a message naming it.
"""

from __future__ import annotations

import bz2
import contextlib
import errno
import fnmatch
import gzip
import hashlib
import lzma
import os
import re
import shutil
import stat
import struct
import tarfile
import tempfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, Protocol

from .errors import GraderError, UsageError
from .i18n import Nn_, _, ngettext

MAX_FILES = 2000  # a hand-in is a few scripts; more than this is a mistake or an attack
MAX_BYTES = 50 << 20  # total bytes staged (measured while copying/extracting, never trusted from headers)
MAX_ZIP_DEPTH = 2  # a zip inside a zip is opened; deeper ones are not
READ_LIMIT = 2 * MAX_BYTES  # bytes read (uncompressed) to list archives and compare copies, per locate() or stage()
DIRECTORY_LIMIT = 2 << 20  # a zip's table of contents; zipfile holds it in memory (about 10 times its size)
MAX_ARCHIVE_ENTRIES = 10 * MAX_FILES  # tar headers read, junk included
MAX_MEMBER_DEPTH, MAX_MEMBER_NAME = 64, 4096  # an archive member's folders and characters: more is an attack
JUNK = (".git", "__pycache__", ".venv", "node_modules", "__MACOSX", ".DS_Store", "Thumbs.db", "*.pyc", "._*",
        ".idea", ".vscode")  # names (glob patterns, any case) never considered or staged, wherever they are

SHOWN = 5  # names listed in one message at most
CHUNK = 1 << 16
SPOOL = 1 << 20  # an archive inside an archive is held in memory up to this size, then in a temporary file
DIR, FILE, LINK = "folder", "file", "link"
_JUNK = re.compile("|".join(fnmatch.translate(p) for p in JUNK), re.IGNORECASE)
_DRIVE = re.compile(r"[A-Za-z]:")
_READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
# what reading a damaged archive raises (zipfile, tarfile, gzip, bz2, lzma, zlib, struct); never GraderError
_DAMAGE = (OSError, EOFError, ValueError, RuntimeError, zipfile.BadZipFile, tarfile.TarError, zlib.error,
           lzma.LZMAError, struct.error)


class SubmissionUnusable(GraderError):
    """The submission itself cannot be graded (too large, too many files, unreadable): the student's 0, with this
    message."""


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


# -- names ------------------------------------------------------------------------------------------


def is_junk(name: str) -> bool:
    """A name JUNK holds (any case): never part of a hand-in."""
    return _JUNK.match(name) is not None


def submission_name(path: Path) -> str:
    """A submission's name in every report: its file name, as text. Names are bytes on Linux: an
    undecodable byte shows as \\xNN (never a crash when a report is written), and two names stay
    two names."""
    return os.fsencode(path.name).decode("utf-8", "backslashreplace")


def shown(path: str) -> str:
    """A name as a message can show it (and as UTF-8 can store it): bytes that were not UTF-8 on disk as U+FFFD,
    control characters as '?', long names cut."""
    try:
        text = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate no file name can hold
        text = path.encode("utf-8", "replace").decode("utf-8")
    text = "".join("?" if unicodedata.category(c).startswith("C") else c for c in text)
    return text if len(text) <= 100 else f"{text[:97]}..."


def _listing(paths: Sequence[str], limit: int = SHOWN) -> str:
    names = ", ".join(shown(p) for p in paths[:limit])
    return _("{names} and {count} more").format(names=names, count=len(paths) - limit) if len(paths) > limit else names


def _and(names: Sequence[str]) -> str:
    names = [shown(n) for n in names]
    return names[0] if len(names) == 1 else _("{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])


def _why(e: BaseException) -> str:
    text = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
    return shown(text or type(e).__name__)


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name


def _parent(path: str) -> str:
    return path.rpartition("/")[0]


def _depth(path: str) -> int:
    return path.count("/")


def _relevant(path: str, within: str | None) -> bool:
    """Whether a walk toward `within` (None: everywhere) must see `path`: on the way to it, or under it."""
    return not within or not path or path == within or within.startswith(f"{path}/") or path.startswith(f"{within}/")


def _member_path(name: str) -> str | None:
    """An archive member's path, normalized ("" for the archive's top), or None when it is not safe to write."""
    name = name.replace("\\", "/")
    if "\x00" in name or name.startswith("/") or _DRIVE.match(name):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if len(parts) > MAX_MEMBER_DEPTH or len(name) > MAX_MEMBER_NAME:
        return None
    for p in parts:
        try:
            too_long = len(p.encode("utf-8", "surrogateescape")) > 255
        except UnicodeEncodeError:  # a lone surrogate: no file name on disk
            return None
        if p == ".." or too_long:
            return None
    return "/".join(parts)


@dataclass(frozen=True)
class _Kind:
    suffix: str  # as a note names it
    method: str  # "zip", "tar", or "" (an archive this module cannot open)
    compression: str = ""  # a tar's: "gz", "bz2", "xz", or ""


_KINDS = (_Kind(".zip", "zip"), _Kind(".tar", "tar"), _Kind(".tar.gz", "tar", "gz"), _Kind(".tgz", "tar", "gz"),
          _Kind(".tar.bz2", "tar", "bz2"), _Kind(".tbz2", "tar", "bz2"), _Kind(".tar.xz", "tar", "xz"),
          _Kind(".txz", "tar", "xz"),
          *(_Kind(s, "") for s in (".rar", ".7z", ".zipx", ".tar.zst", ".tzst", ".zst", ".gz", ".bz2", ".xz",
                                   ".cab", ".arj", ".lzh")))


def _archive_kind(name: str) -> _Kind | None:
    """The kind of archive a file name says (the longest suffix: .tar.gz, not .gz), None: not an archive."""
    low = name.lower()
    return max((k for k in _KINDS if low.endswith(k.suffix)), key=lambda k: len(k.suffix), default=None)


# -- reading ----------------------------------------------------------------------------------------


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class _Item:
    """One entry of the unpacked view."""

    path: str
    kind: str  # DIR, FILE or LINK
    executable: bool = False
    target: str = ""  # a link's
    opener: Callable[[], _Readable] | None = None  # a file's bytes; a tar member's only until the next item
    digest: str | None = None  # a tar member's, read while listing (a tar is read once, in order)
    counted: bool = False  # reading it is already charged to the read budget


@dataclass
class _Ignored:
    """The entries of one archive that are left out, by reason, for one note each."""

    archive: str  # as a note names it
    path: str  # its view path
    names: dict[str, list[str]] = field(default_factory=dict)

    def add(self, why: str, name: str) -> None:
        self.names.setdefault(why, []).append(name)


_WHY = {  # reason: the note, for one entry and for several
    "unsafe": Nn_("{archive}: {count} entry with an unsafe name was ignored ({names}).",
                  "{archive}: {count} entries with unsafe names were ignored ({names})."),
    "link": Nn_("{archive}: {count} entry that is a link was ignored ({names}): links inside an archive are not "
                "extracted.",
                "{archive}: {count} entries that are links were ignored ({names}): links inside an archive are not "
                "extracted."),
    "special": Nn_("{archive}: {count} entry that is a device or a pipe was ignored ({names}).",
                   "{archive}: {count} entries that are devices or pipes were ignored ({names})."),
    "encrypted": Nn_("{archive}: {count} entry that is encrypted was ignored ({names}): hand in an archive without "
                     "a password.",
                     "{archive}: {count} entries that are encrypted were ignored ({names}): hand in an archive "
                     "without a password."),
    "method": Nn_("{archive}: {count} entry compressed in a way that cannot be read was ignored ({names}): make the "
                  "archive again with the usual (deflate) compression.",
                  "{archive}: {count} entries compressed in a way that cannot be read were ignored ({names}): make "
                  "the archive again with the usual (deflate) compression."),
    "taken": Nn_("{archive}: {count} entry whose name was already taken was ignored ({names}): the first entry of "
                 "a name is kept.",
                 "{archive}: {count} entries whose names were already taken were ignored ({names}): the first "
                 "entry of a name is kept."),
}


class _Rewound:
    """A loaded archive read again from its start, left open (the view owns it)."""

    def __init__(self, f: IO[bytes]) -> None:
        f.seek(0)
        self._f = f

    def read(self, size: int = -1, /) -> bytes:
        return self._f.read(size)

    def close(self) -> None:
        pass


class _Counted:
    """A tar's uncompressed stream, charged to the view's read budget as it is read."""

    def __init__(self, inner: _Readable, view: _View, where: str) -> None:
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


def _open_regular(path: str) -> IO[bytes]:
    """A regular file of a folder, never through a link (the file may have changed since it was listed)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return open(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _inflated(raw: IO[bytes], compression: str) -> _Readable:
    if compression == "gz":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if compression == "bz2":
        return bz2.BZ2File(raw)
    if compression == "xz":
        return lzma.LZMAFile(raw)
    return raw


def _extracted(tf: tarfile.TarFile, ti: tarfile.TarInfo) -> IO[bytes]:
    f = tf.extractfile(ti)
    if f is None:
        raise tarfile.ReadError(_("{name} cannot be read").format(name=ti.name))
    return f


def _zip_directory_size(f: IO[bytes]) -> int:
    """The size of a zip's table of contents, found as zipfile finds it (the end record at the very end, else the
    last one in the comment; then the zip64 record just before it, if any): what is checked is what zipfile will
    read. 0 when there is no end record (zipfile will say the file is not a zip)."""
    end = f.seek(0, os.SEEK_END)
    start = max(0, end - 22 - 0xFFFF)  # the end record (22 bytes) and its comment (64 KiB at most)
    f.seek(start)
    tail = f.read()
    at = len(tail) - 22
    if not (at >= 0 and tail[at:at + 4] == b"PK\x05\x06" and tail[-2:] == b"\0\0"):
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or at + 22 > len(tail):
            return 0
    size = int(struct.unpack_from("<I", tail, at + 12)[0])
    if start + at >= 76:  # the zip64 end record (56 bytes) and its locator (20), which zipfile reads when there
        f.seek(start + at - 76)
        record = f.read(76)
        if record[:4] == b"PK\x06\x06" and record[56:60] == b"PK\x06\x07":
            size = int(struct.unpack_from("<Q", record, 40)[0])
    f.seek(0)
    return size


# -- the unpacked view -------------------------------------------------------------------------------


class _View:
    """One submission's unpacked view, walked once: by locate() whole (`within` None: it counts entries and
    reads every tar member), by stage() toward `within`, the root it stages."""

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

    def __enter__(self) -> _View:
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

    def _zip_members(self, zf: zipfile.ZipFile, path: str, level: int) -> Iterator[_Item]:
        ignored = _Ignored(path or self.source.name, path)
        try:
            for info in zf.infolist():
                rel = _member_path(info.filename)
                if rel is None:
                    ignored.add("unsafe", info.filename)
                    continue
                if not rel or any(is_junk(p) for p in rel.split("/")):
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
                rel = _member_path(ti.name)
                if rel is None:
                    ignored.add("unsafe", ti.name)
                    continue
                if not rel or any(is_junk(p) for p in rel.split("/")):
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


# -- locating ------------------------------------------------------------------------------------------


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


# -- staging ---------------------------------------------------------------------------------------------


def stage(handin: HandIn, dest: Path) -> Path:
    """Write what is under the hand-in's root into dest (created; it must not exist). Past the limits, raises
    SubmissionUnusable and leaves nothing behind: not dest, nor the folders above it that it created."""
    created = dest
    while not os.path.lexists(created.parent):
        created = created.parent
    os.makedirs(dest.parent, exist_ok=True)
    os.mkdir(dest, 0o755)  # FileExistsError: dest is someone else's, left alone
    try:
        os.chmod(dest, 0o755)
        _Writer(handin, dest).run()
    except BaseException:
        shutil.rmtree(created, ignore_errors=True)
        raise
    return dest


class _Writer:
    """stage(): the view's entries under the root, written with the limits on what is written."""

    def __init__(self, handin: HandIn, dest: Path) -> None:
        self.handin, self.dest = handin, str(dest)
        self.name = shown(handin.source.name)
        self.entries = 0
        self.written = 0

    def run(self) -> None:
        root = self.handin.root
        prefix = f"{root}/" if root else ""
        seen_root = not root
        with _View(self.handin.source, root) as view:
            for item in view.items():
                if item.path == root:
                    seen_root = item.kind == DIR
                elif item.path.startswith(prefix):
                    self.write(view, item, item.path[len(prefix):])
        if not seen_root:
            raise SubmissionUnusable(_("not graded: the submission {name} has changed: {folder} is no longer a folder "
                                       "in it").format(name=self.name, folder=shown(root)))

    def write(self, view: _View, item: _Item, rel: str) -> None:
        self.entries += 1
        if self.entries > MAX_FILES:
            raise SubmissionUnusable(_("not graded: the submission {name} holds more than {count} files and folders; "
                                       "hand in only the programs").format(name=self.name, count=MAX_FILES))
        target = os.path.join(self.dest, rel)
        try:
            if item.kind == DIR:
                os.mkdir(target, 0o755)
                os.chmod(target, 0o755)
            elif item.kind == LINK:
                os.symlink(item.target, target)
            else:
                self.copy(view, item, target)
        except OSError as e:
            if e.errno != errno.ENAMETOOLONG:
                raise
            raise SubmissionUnusable(_("not graded: the submission {name} holds a path too long to be copied: "
                                       "{path}").format(name=self.name, path=shown(item.path))) from e

    def copy(self, view: _View, item: _Item, target: str) -> None:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        # what is written has its own limit: not charged to the read budget
        with open(fd, "wb") as out, contextlib.closing(view.chunks(item, MAX_BYTES, charge=False)) as chunks:
            while True:
                try:
                    chunk = next(chunks, b"")
                except _DAMAGE as e:
                    raise SubmissionUnusable(_("not graded: in the submission {name}, {path} cannot be read ({why}); "
                                               "hand in a new copy").format(name=self.name, path=shown(item.path),
                                                                            why=_why(e))) from e
                if not chunk:
                    break
                self.written += len(chunk)
                if self.written > MAX_BYTES:
                    archive = view.inside(item.path)
                    raise SubmissionUnusable((
                        _("not graded: the submission {name} is larger than {mb} MB, counting what {archive} holds; "
                          "hand in only the programs") if archive else
                        _("not graded: the submission {name} is larger than {mb} MB; hand in only the programs"))
                        .format(name=self.name, mb=MAX_BYTES >> 20, archive=archive))
                out.write(chunk)
            os.fchmod(out.fileno(), 0o755 if item.executable else 0o644)


# -- finding submissions ------------------------------------------------------------------------------------


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
