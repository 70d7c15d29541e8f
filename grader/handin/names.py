"""A hand-in's limits, and its names: what its paths and its messages are made of (theory of operation:
grader/handin/__init__.py)."""

from __future__ import annotations

import fnmatch
import lzma
import os
import re
import struct
import tarfile
import unicodedata
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import GraderError
from ..i18n import _

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
