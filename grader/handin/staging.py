"""stage(): a private copy of a hand-in's files to grade (theory of operation: grader/handin/__init__.py)."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from pathlib import Path

from ..i18n import _
from .locating import HandIn
from .names import _DAMAGE, DIR, LINK, MAX_BYTES, MAX_FILES, SubmissionUnusable, _why, shown
from .reading import _Item
from .view import _View


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
