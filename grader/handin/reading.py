"""Reading a hand-in: the entries of its unpacked view, and the streams its files and archives are read from
(theory of operation: grader/handin/__init__.py)."""

from __future__ import annotations

import bz2
import errno
import gzip
import lzma
import os
import stat
import struct
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, Protocol

from ..i18n import Nn_, _


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
