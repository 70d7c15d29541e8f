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

from .locating import HandIn, locate
from .names import JUNK, MAX_BYTES, MAX_FILES, SubmissionUnusable, is_junk, shown, submission_name
from .staging import stage
from .submissions import find_submissions

__all__ = ["JUNK", "MAX_BYTES", "MAX_FILES", "HandIn", "SubmissionUnusable", "find_submissions", "is_junk", "locate",
           "shown", "stage", "submission_name"]
