"""Finding the hand-in files wherever a student put them (grader/handin/), on real folders and archives."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import stat
import struct
import tarfile
import warnings
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.handin import (
    MAX_BYTES,
    MAX_FILES,
    HandIn,
    SubmissionUnusable,
    find_submissions,
    locate,
    stage,
)
from grader.i18n import use

SERVER = b"import socket\nprint('server')\n"
CLIENT = b"import socket\nprint('client')\n"
BOTH = ("server.py", "client.py")
MOODLE = "Zoé Martin_48213_assignsubmission_file_"


# -- building hand-ins ---------------------------------------------------------------------------------


def write(root: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    root.mkdir(parents=True, exist_ok=True)
    return root


def make_zip(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def make_tar(path: Path, members: dict[str, bytes], compress: Callable[[bytes], bytes] = gzip.compress,
             executable: tuple[str, ...] = ()) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755 if name in executable else 0o644
            tf.addfile(info, io.BytesIO(data))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(compress(buf.getvalue()))
    return path


def contents(folder: Path) -> dict[str, bytes | str]:
    """Every entry under folder: a file's bytes, a link's 'link -> target', a folder's 'folder'."""
    found: dict[str, bytes | str] = {}
    for dirpath, dirs, names in os.walk(folder):
        for name in dirs + names:
            path = Path(dirpath, name)
            rel = path.relative_to(folder).as_posix()
            if path.is_symlink():
                found[rel] = f"link -> {os.readlink(path)}"
            elif path.is_dir():
                found[rel] = "folder"
            else:
                found[rel] = path.read_bytes()
    return found


def every_path(root: Path) -> set[Path]:
    return {Path(d, n) for d, dirs, names in os.walk(root) for n in dirs + names}


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


# -- where the files are -----------------------------------------------------------------------------


def test_files_at_the_top_are_graded_there_with_nothing_to_say(tmp_path: Path) -> None:
    sub = write(tmp_path / "alice", {"server.py": SERVER, "client.py": CLIENT})
    h = locate(sub, BOTH)
    assert h == HandIn(source=sub, root="", files={"server.py": "server.py", "client.py": "client.py"},
                       missing=(), ambiguous={}, notes=(), declared=BOTH, python_files=("client.py", "server.py"))
    assert h.problems == ()


def test_files_one_folder_down_are_graded_from_that_folder(tmp_path: Path) -> None:
    sub = write(tmp_path / "bob", {"TP2/server.py": SERVER, "TP2/client.py": CLIENT, "notes.txt": b"hi"})
    h = locate(sub, BOTH)
    assert (h.root, h.files) == ("TP2", {"server.py": "server.py", "client.py": "client.py"})
    assert h.notes == ("server.py and client.py were found in TP2/ (not at the top of the hand-in): graded from "
                       "there.",)
    staged = stage(h, tmp_path / "staged")
    assert contents(staged) == {"server.py": SERVER, "client.py": CLIENT}  # notes.txt is above the root


def test_two_folders_down_in_a_moodle_folder_with_spaces_and_accents(tmp_path: Path) -> None:
    sub = write(tmp_path / MOODLE, {"Mon TP/tp2 réseau/server.py": SERVER, "Mon TP/tp2 réseau/lib/util.py": b"u"})
    h = locate(sub, ["server.py"])
    assert (h.root, h.files, h.problems) == ("Mon TP/tp2 réseau", {"server.py": "server.py"}, ())
    assert h.notes == ("server.py was found in Mon TP/tp2 réseau/ (not at the top of the hand-in): graded from there.",)
    assert contents(stage(h, tmp_path / "s")) == {"server.py": SERVER, "lib": "folder", "lib/util.py": b"u"}


def test_files_in_different_folders_are_graded_from_their_common_folder(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"tp/srv/server.py": SERVER, "tp/cli/client.py": CLIENT})
    h = locate(sub, BOTH)
    assert (h.root, h.files) == ("tp", {"server.py": "srv/server.py", "client.py": "cli/client.py"})
    assert h.notes[1:] == ("server.py was found in tp/srv/ (not at the top of the hand-in): graded from there.",
                           "client.py was found in tp/cli/ (not at the top of the hand-in): graded from there.")


def test_a_zip_with_a_folder_inside_the_submission_folder(tmp_path: Path) -> None:
    sub = tmp_path / MOODLE
    make_zip(sub / "tp2.zip", {"TP2/": b"", "TP2/server.py": SERVER, "TP2/client.py": CLIENT})
    h = locate(sub, BOTH)
    assert (h.root, h.files) == ("tp2.zip/TP2", {"server.py": "server.py", "client.py": "client.py"})
    assert h.notes == ("server.py and client.py were found in TP2/ inside tp2.zip: graded from there.",)
    assert contents(stage(h, tmp_path / "s")) == {"server.py": SERVER, "client.py": CLIENT}


def test_a_zip_without_a_folder_inside_the_submission_folder(tmp_path: Path) -> None:
    sub = tmp_path / "carol"
    make_zip(sub / "TP2 final.zip", {"server.py": SERVER})
    h = locate(sub, ["server.py"])
    assert (h.root, h.files) == ("TP2 final.zip", {"server.py": "server.py"})
    assert h.notes == ("server.py was found inside TP2 final.zip: graded from there.",)
    assert contents(stage(h, tmp_path / "s")) == {"server.py": SERVER}


def test_the_submission_itself_a_zip(tmp_path: Path) -> None:
    sub = make_zip(tmp_path / "dave.zip", {"server.py": SERVER, "client.py": CLIENT})
    h = locate(sub, BOTH)
    assert (h.source, h.root, h.files, h.notes) == (sub, "", {"server.py": "server.py", "client.py": "client.py"}, ())
    assert contents(stage(h, tmp_path / "s")) == {"server.py": SERVER, "client.py": CLIENT}


def test_the_submission_itself_a_tar_gz_keeps_the_executable_bit(tmp_path: Path) -> None:
    sub = make_tar(tmp_path / "erin.tar.gz", {"TP2/server.py": SERVER, "TP2/run.sh": b"#!/bin/sh\n"},
                   executable=("TP2/run.sh",))
    h = locate(sub, ["server.py"])
    assert (h.root, h.files) == ("TP2", {"server.py": "server.py"})
    staged = stage(h, tmp_path / "s")
    assert contents(staged) == {"server.py": SERVER, "run.sh": b"#!/bin/sh\n"}
    assert (mode(staged / "server.py"), mode(staged / "run.sh")) == (0o644, 0o755)


@pytest.mark.parametrize("suffix,compress", [(".tar", bytes), (".tgz", gzip.compress), (".tar.bz2", bz2.compress),
                                             (".tar.xz", lzma.compress)])
def test_every_tar_kind_is_opened(tmp_path: Path, suffix: str, compress: Callable[[bytes], bytes]) -> None:
    sub = tmp_path / "s"
    make_tar(sub / f"tp{suffix}", {"server.py": SERVER}, compress)
    h = locate(sub, ["server.py"])
    assert (h.root, h.files) == (f"tp{suffix}", {"server.py": "server.py"})
    assert contents(stage(h, tmp_path / "out")) == {"server.py": SERVER}


def test_files_split_between_the_folder_and_a_zip(tmp_path: Path) -> None:
    sub = write(tmp_path / "frank", {"server.py": SERVER})
    make_zip(sub / "client.zip", {"client.py": CLIENT})
    h = locate(sub, BOTH)
    assert (h.root, h.files) == ("", {"server.py": "server.py", "client.py": "client.zip/client.py"})
    assert h.notes == ("client.py was found inside client.zip: graded from there.",)
    staged = stage(h, tmp_path / "s")
    assert contents(staged) == {"server.py": SERVER, "client.zip": "folder", "client.zip/client.py": CLIENT}
    assert mode(staged / "client.zip") == 0o755


def test_a_tar_gz_inside_a_zip_is_opened_and_staged(tmp_path: Path) -> None:
    inner = make_tar(tmp_path / "build" / "TP2.tar.gz", {"TP2/server.py": SERVER, "TP2/client.py": CLIENT})
    sub = tmp_path / "gina"
    make_zip(sub / "rendu.zip", {"rendu/TP2.tar.gz": inner.read_bytes()})
    h = locate(sub, BOTH)
    assert (h.root, h.files) == ("rendu.zip/rendu/TP2.tar.gz/TP2", {"server.py": "server.py", "client.py": "client.py"})
    assert h.notes == ("server.py and client.py were found in TP2/ inside rendu.zip/rendu/TP2.tar.gz: graded from "
                       "there.",)
    assert contents(stage(h, tmp_path / "s")) == {"server.py": SERVER, "client.py": CLIENT}


# -- choosing among copies ---------------------------------------------------------------------------


def test_an_old_copy_deeper_down_loses_to_the_one_at_the_top(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"server.py": SERVER, "old/server.py": b"print('old')\n", "old/v1/server.py": b"v1"})
    h = locate(sub, ["server.py"])
    assert (h.root, h.files, h.problems) == ("", {"server.py": "server.py"}, ())
    assert h.notes == ("Other copies of server.py, deeper down, were not graded: old/server.py, old/v1/server.py.",)


def test_two_different_copies_at_the_same_depth_are_ambiguous(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"a/server.py": SERVER, "b/server.py": b"print('other')\n", "client.py": CLIENT})
    h = locate(sub, BOTH)
    assert h.ambiguous == {"server.py": ("a/server.py", "b/server.py")}
    assert (h.missing, h.files, h.root) == ((), {"client.py": "client.py"}, "")
    assert h.problems == ("server.py is handed in 2 times, with different contents: a/server.py, b/server.py. "
                          "Keep only the one to grade.",)


def test_a_copy_in_a_zip_and_a_different_one_beside_it_are_ambiguous(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"TP2/server.py": SERVER})
    make_zip(sub / "TP2.zip", {"server.py": b"print('zipped')\n"})
    h = locate(sub, ["server.py"])
    assert h.ambiguous == {"server.py": ("TP2.zip/server.py", "TP2/server.py")}


def test_identical_copies_at_the_same_depth_are_one_file(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"copy/server.py": SERVER})
    make_zip(sub / "tp.zip", {"server.py": SERVER})
    h = locate(sub, ["server.py"])
    assert (h.root, h.files, h.ambiguous, h.problems) == ("copy", {"server.py": "server.py"}, {}, ())
    assert h.notes == ("server.py was found in copy/ (not at the top of the hand-in): graded from there.",
                       "server.py is handed in 2 times, with the same contents (copy/server.py, tp.zip/server.py): "
                       "copy/server.py was graded.")


def test_a_name_in_another_case_is_graded_with_a_note(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"Server.py": SERVER, "CLIENT.PY": CLIENT})
    h = locate(sub, BOTH)
    assert (h.root, h.files, h.missing) == ("", {"server.py": "Server.py", "client.py": "CLIENT.PY"}, ())
    assert h.notes == (
        "Server.py was graded as server.py: the lab asks for server.py (names are case-sensitive: rename it).",
        "CLIENT.PY was graded as client.py: the lab asks for client.py (names are case-sensitive: rename it).")


def test_the_exact_name_deeper_down_wins_over_another_case_at_the_top(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"SERVER.py": b"upper", "tp/server.py": SERVER})
    assert locate(sub, ["server.py"]).files == {"server.py": "server.py"}
    assert locate(sub, ["server.py"]).root == "tp"


def test_a_missing_file_is_named_with_what_the_lab_asks_for(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"server.py": SERVER, "readme.md": b"x"})
    h = locate(sub, BOTH)
    assert (h.files, h.missing) == ({"server.py": "server.py"}, ("client.py",))
    assert h.problems == ("client.py is missing: the lab asks for server.py and client.py, and no file handed in is "
                          "called client.py.",)


def test_when_nothing_is_found_the_python_files_seen_are_listed(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"serveur.py": b"", "tp.py": b"", "TP/a.py": b"", "TP/b.py": b"", "TP/c.py": b"",
                                 "TP/d.py": b"", "notes.txt": b""})
    h = locate(sub, BOTH)
    assert (h.root, h.files, h.missing) == ("", {}, BOTH)
    seen = "files handed in: TP/a.py, TP/b.py, TP/c.py, TP/d.py, serveur.py and 1 more"
    assert h.problems == (
        f"server.py is missing: the lab asks for server.py and client.py, and no file handed in is called server.py "
        f"({seen}).",
        f"client.py is missing: the lab asks for server.py and client.py, and no file handed in is called client.py "
        f"({seen}).")


def test_an_empty_hand_in_says_no_python_file_was_handed_in(tmp_path: Path) -> None:
    h = locate(write(tmp_path / "s", {"rapport.pdf": b"%PDF"}), ["server.py"])
    assert h.problems == ("server.py is missing: the lab asks for server.py, and no file handed in is called "
                          "server.py (no .py file handed in).",)


# -- junk, names, links ------------------------------------------------------------------------------


def test_macos_and_tool_junk_is_never_considered_nor_staged(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {".DS_Store": b"x", "._server.py": b"apple", "__pycache__/server.cpython-311.pyc": b"c",
                                 ".git/config": b"[core]", "node_modules/x.js": b"", ".venv/bin/python": b"",
                                 "Thumbs.db": b"", ".idea/ws.xml": b"", ".vscode/s.json": b"", "old.pyc": b""})
    make_zip(sub / "tp2.zip", {"__MACOSX/TP2/._server.py": b"apple", "__MACOSX/._TP2": b"", "TP2/server.py": SERVER,
                               "TP2/.DS_Store": b"x", "TP2/__pycache__/server.cpython-311.pyc": b"c"})
    h = locate(sub, ["server.py"])
    assert (h.root, h.files, h.notes[1:]) == ("tp2.zip/TP2", {"server.py": "server.py"}, ())
    assert h.python_files == ("tp2.zip/TP2/server.py",)
    assert contents(stage(h, tmp_path / "a")) == {"server.py": SERVER}
    top = HandIn(source=sub, root="", files={}, missing=(), ambiguous={}, notes=())
    assert contents(stage(top, tmp_path / "b")) == {"tp2.zip": "folder", "tp2.zip/TP2": "folder",
                                                    "tp2.zip/TP2/server.py": SERVER}


def test_unsafe_zip_members_are_skipped_and_nothing_is_written_outside_dest(tmp_path: Path) -> None:
    sub = tmp_path / "class" / "mallory"
    link = zipfile.ZipInfo("TP2/lib")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(make_zip(sub / "tp2.zip", {}), "w") as zf:
        for name in ("../../evil.py", "/tmp/abs_evil.py", "C:/evil.py", "..\\..\\win_evil.py", "TP2/../../up.py"):
            zf.writestr(zipfile.ZipInfo(name), b"evil")
        zf.writestr(link, "/etc")
        zf.writestr("TP2/lib/passwd", b"written inside the hand-in only")
        zf.writestr("TP2/server.py", SERVER)
    h = locate(sub, ["server.py"])
    assert (h.root, h.files) == ("tp2.zip/TP2", {"server.py": "server.py"})
    assert h.notes[1:] == (
        "tp2.zip: 5 entries with unsafe names were ignored (../../evil.py, /tmp/abs_evil.py, C:/evil.py, "
        "..\\..\\win_evil.py, TP2/../../up.py).",
        "tp2.zip: 1 entry that is a link was ignored (TP2/lib): links inside an archive are not extracted.")
    before = every_path(tmp_path)
    dest = tmp_path / "class" / "staged"
    top = HandIn(source=sub, root="", files={}, missing=(), ambiguous={}, notes=())
    stage(top, dest)
    assert {p for p in every_path(tmp_path) - before if dest not in p.parents and p != dest} == set()
    assert contents(dest) == {"tp2.zip": "folder", "tp2.zip/TP2": "folder", "tp2.zip/TP2/lib": "folder",
                              "tp2.zip/TP2/lib/passwd": b"written inside the hand-in only",
                              "tp2.zip/TP2/server.py": SERVER}


def test_unsafe_tar_members_and_links_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "oscar.tar"
    with tarfile.open(path, "w") as tf:
        for name in ("../evil.py", "/abs/evil.py"):
            info = tarfile.TarInfo(name)
            info.size = 4
            tf.addfile(info, io.BytesIO(b"evil"))
        for name, kind in (("sym", tarfile.SYMTYPE), ("hard", tarfile.LNKTYPE), ("fifo", tarfile.FIFOTYPE)):
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, "/etc/passwd"
            tf.addfile(info)
        info = tarfile.TarInfo("server.py")
        info.size = len(SERVER)
        tf.addfile(info, io.BytesIO(SERVER))
    h = locate(path, ["server.py"])
    assert h.files == {"server.py": "server.py"}
    assert h.notes == ("oscar.tar: 2 entries with unsafe names were ignored (../evil.py, /abs/evil.py).",
                       "oscar.tar: 2 entries that are links were ignored (sym, hard): links inside an archive are "
                       "not extracted.",
                       "oscar.tar: 1 entry that is a device or a pipe was ignored (fifo).")
    before = every_path(tmp_path)
    dest = stage(h, tmp_path / "out" / "s")
    assert every_path(tmp_path) - before == {tmp_path / "out", dest, dest / "server.py"}


def test_a_repeated_name_in_a_zip_keeps_the_first_entry(tmp_path: Path) -> None:
    sub = tmp_path / "s"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name: that is the point
        with zipfile.ZipFile(make_zip(sub / "tp.zip", {}), "w") as zf:
            zf.writestr("server.py", SERVER)
            zf.writestr("server.py", b"second")
            zf.writestr("lib", b"a file")
            zf.writestr("lib/x.py", b"under a file")
    h = locate(sub, ["server.py"])
    assert h.notes[1:] == ("tp.zip: 2 entries whose names were already taken were ignored (server.py, lib/x.py): "
                           "the first entry of a name is kept.",)
    top = HandIn(source=sub, root="", files={}, missing=(), ambiguous={}, notes=())
    assert contents(stage(top, tmp_path / "out")) == {"tp.zip": "folder", "tp.zip/server.py": SERVER,
                                                      "tp.zip/lib": b"a file"}


def test_symlinks_in_a_folder_are_kept_as_links_never_followed(tmp_path: Path) -> None:
    secret = write(tmp_path / "secret", {"key": b"not for students"})
    sub = write(tmp_path / "s", {"server.py": SERVER})
    (sub / "out").symlink_to(secret)
    (sub / "key").symlink_to(secret / "key")
    (sub / "client.py").symlink_to("server.py")
    h = locate(sub, BOTH)
    assert h.files == {"server.py": "server.py", "client.py": "client.py"}
    staged = stage(h, tmp_path / "staged")
    assert contents(staged) == {"server.py": SERVER, "out": f"link -> {secret}", "key": f"link -> {secret / 'key'}",
                                "client.py": "link -> server.py"}


def test_a_name_that_is_not_utf8_on_disk_is_listed_staged_and_shown(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"notes.txt": b"x"})
    os.close(os.open(os.fsencode(sub) + b"/caf\xe9.py", os.O_WRONLY | os.O_CREAT, 0o644))
    h = locate(sub, ["server.py"])
    assert h.python_files == (os.fsdecode(b"caf\xe9.py"),)
    assert h.problems[0].endswith("(files handed in: caf\ufffd.py).")
    assert "\n".join(h.problems).encode("utf-8")  # printable and storable as UTF-8
    staged = stage(h, tmp_path / "staged")
    assert sorted(os.listdir(os.fsencode(staged))) == [b"caf\xe9.py", b"notes.txt"]


# -- damaged, exotic and nested archives ----------------------------------------------------------------


def test_a_corrupt_zip_is_a_note_and_stays_a_plain_file(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"server.py": SERVER, "tp2.zip": b"PK\x03\x04 this is not a zip at all"})
    h = locate(sub, ["server.py"])
    assert h.files == {"server.py": "server.py"}
    assert h.notes == ("tp2.zip cannot be opened: it is not a valid zip file.",)
    assert contents(stage(h, tmp_path / "out")) == {"server.py": SERVER,
                                                    "tp2.zip": b"PK\x03\x04 this is not a zip at all"}


def test_a_submission_that_is_a_corrupt_archive_misses_everything(tmp_path: Path) -> None:
    sub = tmp_path / "s.tar.gz"
    sub.write_bytes(b"\x1f\x8b not gzip")
    h = locate(sub, ["server.py"])
    assert (h.missing, h.notes) == (("server.py",), ("s.tar.gz cannot be opened: it is not a valid tar.gz file.",))
    assert contents(stage(h, tmp_path / "out")) == {}


def test_a_truncated_tar_gz_keeps_what_comes_before_the_damage(tmp_path: Path) -> None:
    whole = make_tar(tmp_path / "whole.tar.gz", {"server.py": SERVER, "big.bin": os.urandom(200_000)})
    sub = tmp_path / "s.tar.gz"
    sub.write_bytes(whole.read_bytes()[:100_000])
    h = locate(sub, ["server.py"])
    assert h.files == {"server.py": "server.py"}
    assert len(h.notes) == 1 and h.notes[0].startswith("s.tar.gz is damaged (")
    assert h.notes[0].endswith("): what comes after the damage was not read.")


def test_encrypted_zip_members_are_ignored_with_a_note(tmp_path: Path) -> None:
    sub = tmp_path / "s"
    data = bytearray(zip_bytes({"server.py": SERVER}))
    data[6] |= 1  # the "encrypted" flag, in the local header and in the table of contents
    data[data.rfind(b"PK\x01\x02") + 8] |= 1
    (write(sub, {}) / "tp.zip").write_bytes(bytes(data))
    h = locate(sub, ["server.py"])
    assert h.missing == ("server.py",)
    assert h.notes == ("tp.zip: 1 entry that is encrypted was ignored (server.py): hand in an archive without a "
                       "password.",)


def test_a_rar_or_7z_cannot_be_opened_and_says_what_to_hand_in(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"tp2.rar": b"Rar!\x1a\x07\x00", "old.7z": b"7z"})
    h = locate(sub, ["server.py"])
    assert h.notes == ("old.7z cannot be opened: hand in a .zip, or the files themselves.",
                       "tp2.rar cannot be opened: hand in a .zip, or the files themselves.")
    assert h.problems == ("server.py is missing: the lab asks for server.py, and no file handed in is called "
                          "server.py (no .py file handed in).",)


def test_a_zip_in_a_zip_is_opened(tmp_path: Path) -> None:
    sub = tmp_path / "s"
    make_zip(sub / "outer.zip", {"inner.zip": zip_bytes({"server.py": SERVER})})
    h = locate(sub, ["server.py"])
    assert (h.root, h.files) == ("outer.zip/inner.zip", {"server.py": "server.py"})
    assert contents(stage(h, tmp_path / "out")) == {"server.py": SERVER}


def test_archives_nested_beyond_max_zip_depth_are_not_opened(tmp_path: Path) -> None:
    sub = tmp_path / "s"
    deepest = zip_bytes({"server.py": SERVER})
    make_zip(sub / "a.zip", {"b.zip": zip_bytes({"c.zip": deepest})})
    h = locate(sub, ["server.py"])
    assert h.missing == ("server.py",)
    assert h.notes == ("a.zip/b.zip/c.zip was not opened: archives are opened 2 deep at most (an archive inside an "
                       "archive); hand in the files themselves.",)
    top = HandIn(source=sub, root="", files={}, missing=(), ambiguous={}, notes=())
    assert contents(stage(top, tmp_path / "out")) == {"a.zip": "folder", "a.zip/b.zip": "folder",
                                                      "a.zip/b.zip/c.zip": deepest}
    zipped = make_zip(tmp_path / "sub.zip", {"b.zip": zip_bytes({"server.py": SERVER})})  # it counts as the first
    h = locate(zipped, ["server.py"])
    assert (h.root, h.files) == ("b.zip", {"server.py": "server.py"})
    too_deep = make_zip(tmp_path / "deep.zip", {"b.zip": zip_bytes({"c.zip": deepest})})
    assert locate(too_deep, ["server.py"]).missing == ("server.py",)


# -- limits ----------------------------------------------------------------------------------------------


def bomb(path: Path, size: int) -> Path:
    """A zip of one member of `size` zero bytes (a few hundred KB on disk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf, zf.open("bomb.bin", "w") as out:
        for _ in range(size >> 20):
            out.write(bytes(1 << 20))
    return path


def claim_size(path: Path, size: int) -> None:
    """Make a one-member zip's headers lie about the member's uncompressed size."""
    data = bytearray(path.read_bytes())
    struct.pack_into("<I", data, 22, size)  # the local header
    struct.pack_into("<I", data, data.rfind(b"PK\x01\x02") + 24, size)  # the table of contents
    path.write_bytes(bytes(data))


def test_a_zip_bomb_is_stopped_at_max_bytes_and_nothing_is_left(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"server.py": SERVER})
    bomb(sub / "tp.zip", 200 << 20)
    assert (sub / "tp.zip").stat().st_size < 1 << 20
    h = locate(sub, ["server.py"])  # listing reads no member
    assert (h.root, h.files) == ("", {"server.py": "server.py"})
    with pytest.raises(SubmissionUnusable) as e:
        stage(h, tmp_path / "fresh" / "deeper" / "staged")
    assert str(e.value) == ("not graded: the submission s is larger than 50 MB, counting what tp.zip holds; hand in "
                            "only the programs")
    assert not (tmp_path / "fresh").exists()  # the folders stage() created are gone too
    parent = write(tmp_path / "mine", {})
    with pytest.raises(SubmissionUnusable):
        stage(h, parent / "staged")
    assert list(parent.iterdir()) == []  # the caller's folder stays, empty


def test_a_zip_bomb_with_a_header_that_lies_is_stopped(tmp_path: Path) -> None:
    sub = tmp_path / "s"
    claim_size(bomb(sub / "tp.zip", 100 << 20), 1000)
    h = locate(sub, ["server.py"])
    with pytest.raises(SubmissionUnusable, match=r"^not graded: in the submission s, tp.zip/bomb.bin cannot be read"):
        stage(h, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_sizes_are_measured_not_taken_from_headers(tmp_path: Path) -> None:
    sub = tmp_path / "s"
    make_zip(sub / "tp.zip", {"server.py": SERVER})
    claim_size(sub / "tp.zip", 1 << 31)  # claims 2 GB
    assert contents(stage(locate(sub, ["server.py"]), tmp_path / "out")) == {"server.py": SERVER}


def test_many_members_adding_up_past_max_bytes_are_stopped(tmp_path: Path) -> None:
    sub = tmp_path / "s"
    with zipfile.ZipFile(make_zip(sub / "tp.zip", {}), "w", zipfile.ZIP_DEFLATED) as zf:
        for k in range(6):
            zf.writestr(f"part{k}.bin", bytes(10 << 20))
        zf.writestr("server.py", SERVER)
    with pytest.raises(SubmissionUnusable) as e:
        stage(locate(sub, ["server.py"]), tmp_path / "out")
    assert str(e.value) == (f"not graded: the submission s is larger than {MAX_BYTES >> 20} MB, counting what tp.zip "
                            f"holds; hand in only the programs")


def test_a_tar_gz_bomb_is_stopped_while_listing(tmp_path: Path) -> None:
    path = tmp_path / "s.tar.gz"
    with tarfile.open(path, "w:gz", compresslevel=1) as tf:
        info = tarfile.TarInfo("zeros.bin")
        info.size = 120 << 20
        tf.addfile(info, io.BytesIO(bytes(info.size)))
    with pytest.raises(SubmissionUnusable, match=r"^not graded: reading the submission s.tar.gz means uncompressing "
                                                 r"more than 100 MB \(the limit was reached in s.tar.gz\)"):
        locate(path, ["server.py"])


def test_a_folder_with_too_many_files_is_refused(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {f"junk/{k}.txt": b"" for k in range(MAX_FILES + 1)})
    with pytest.raises(SubmissionUnusable) as e:
        locate(sub, ["server.py"])
    assert str(e.value) == ("not graded: the submission s holds more than 2000 files and folders; hand in only the "
                            "programs")
    with pytest.raises(SubmissionUnusable, match="holds more than 2000 files and folders"):  # stage() counts too
        stage(HandIn(source=sub, root="", files={}, missing=(), ambiguous={}, notes=()), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_zip_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    sub = tmp_path / "s"
    make_zip(sub / "tp.zip", {f"d/{k}.py": b"" for k in range(MAX_FILES)})
    with pytest.raises(SubmissionUnusable) as e:
        locate(sub, ["server.py"])
    assert str(e.value) == ("not graded: the submission s holds more than 2000 files and folders, counting what "
                            "tp.zip holds; hand in only the programs")


def test_a_zip_of_100000_entries_is_refused_before_its_table_is_read(tmp_path: Path) -> None:
    sub = tmp_path / "s"
    with zipfile.ZipFile(make_zip(sub / "tp.zip", {}), "w") as zf:
        for k in range(100_000):
            zf.writestr(f"{k}", b"")
    refused = r"^not graded: tp.zip in the submission s lists too many entries \(its table of contents alone is \d+ KB"
    with pytest.raises(SubmissionUnusable, match=refused):
        locate(sub, ["server.py"])


def test_stage_refuses_a_dest_that_exists_and_leaves_it_alone(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"server.py": SERVER})
    dest = write(tmp_path / "dest", {"keep.txt": b"mine"})
    with pytest.raises(FileExistsError):
        stage(locate(sub, ["server.py"]), dest)
    assert contents(dest) == {"keep.txt": b"mine"}


def test_stage_modes_and_bytes(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"TP/server.py": SERVER, "TP/lib/data.bin": bytes(range(256)) * 3, "TP/run": b"#!"})
    os.chmod(sub / "TP" / "run", 0o700)
    os.chmod(sub / "TP" / "server.py", 0o600)
    os.chmod(sub / "TP" / "lib", 0o700)
    staged = stage(locate(sub, ["server.py"]), tmp_path / "out")
    assert contents(staged) == {"server.py": SERVER, "run": b"#!", "lib": "folder",
                                "lib/data.bin": bytes(range(256)) * 3}
    assert {p: mode(staged / p) for p in ("", "server.py", "run", "lib", "lib/data.bin")} == {
        "": 0o755, "server.py": 0o644, "run": 0o755, "lib": 0o755, "lib/data.bin": 0o644}


# -- find_submissions ----------------------------------------------------------------------------------


def test_find_submissions_an_archive_is_one_submission(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "TP2.ZIP", {"server.py": SERVER})
    assert find_submissions(path, ["server.py"]) == [path]


def test_find_submissions_a_folder_with_a_python_file_at_its_top_is_one(tmp_path: Path) -> None:
    one = write(tmp_path / "one", {"serveur.py": b"", "TP/x": b""})
    assert find_submissions(one, ["server.py"]) == [one]
    declared = write(tmp_path / "two", {"Server.PY": b"", "TP/x": b""})
    assert find_submissions(declared, ["server.py"]) == [declared]


def test_find_submissions_in_a_class_folder(tmp_path: Path) -> None:
    cls = write(tmp_path / "class", {f"{MOODLE}/TP2/server.py": SERVER, "bob_1_assignsubmission_file_/x": b"",
                                     ".hidden/server.py": b"", "__MACOSX/._x": b"", "readme.txt": b"",
                                     "._carol.zip": b""})
    make_zip(cls / "carol.zip", {"server.py": SERVER})
    make_tar(cls / "dave.tar.gz", {"server.py": SERVER})
    (cls / "erin.rar").write_bytes(b"Rar!")
    assert find_submissions(cls, ["server.py"]) == [cls / MOODLE, cls / "bob_1_assignsubmission_file_",
                                                    cls / "carol.zip", cls / "dave.tar.gz", cls / "erin.rar"]


def test_find_submissions_refuses_what_holds_no_submission(tmp_path: Path) -> None:
    empty = write(tmp_path / "empty", {"readme.txt": b"", ".git/HEAD": b""})
    with pytest.raises(UsageError) as e:
        find_submissions(empty, BOTH)
    assert str(e.value) == (f"{empty}: no submission in it: no server.py and client.py nor other .py file at its "
                            f"top, and no sub-folder or archive (.zip, .tar.gz...) holding one submission each")
    with pytest.raises(UsageError, match="no such file or folder"):
        find_submissions(tmp_path / "nope", BOTH)
    with pytest.raises(UsageError, match="neither a folder nor an archive"):
        find_submissions(empty / "readme.txt", BOTH)


def test_pipes_in_a_folder_are_ignored_with_a_note_and_never_opened(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {"server.py": SERVER})
    os.mkfifo(sub / "pipe")
    h = locate(sub, ["server.py"])
    assert h.notes == ("1 entry of the submission s that is not a regular file (a pipe, a socket, a device) was "
                       "ignored (pipe).",)
    assert contents(stage(h, tmp_path / "out")) == {"server.py": SERVER}  # reading the pipe would block


def test_member_names_nested_too_deep_are_unsafe(tmp_path: Path) -> None:
    deep = "/".join(["d"] * 65) + "/server.py"
    sub = make_zip(tmp_path / "s.zip", {deep: SERVER, "/".join(["d"] * 60) + "/ok.py": b"ok"})
    h = locate(sub, ["server.py"])
    assert h.missing == ("server.py",)
    assert h.notes == (f"s.zip: 1 entry with an unsafe name was ignored ({deep[:97]}...).",)
    assert h.python_files == ("/".join(["d"] * 60) + "/ok.py",)


def test_a_tar_of_too_many_headers_is_refused_even_when_they_are_junk(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tf:
        for k in range(20_001):
            tf.addfile(tarfile.TarInfo(f"__MACOSX/._{k}"))
    path = tmp_path / "s.tar.gz"
    path.write_bytes(gzip.compress(buf.getvalue(), compresslevel=1))
    with pytest.raises(SubmissionUnusable) as e:
        locate(path, ["server.py"])
    assert str(e.value) == "not graded: s.tar.gz holds more than 20000 entries; hand in only the programs"


def test_many_identical_copies_are_listed_briefly(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {f"v{k}/server.py": SERVER for k in range(7)})
    h = locate(sub, ["server.py"])
    assert h.files == {"server.py": "server.py"} and h.root == "v0"
    assert h.notes[1] == ("server.py is handed in 7 times, with the same contents (v0/server.py, v1/server.py, "
                          "v2/server.py, v3/server.py, v4/server.py and 2 more): v0/server.py was graded.")


def test_a_zip64_record_claiming_a_huge_table_of_contents_is_refused(tmp_path: Path) -> None:
    data = zip_bytes({"server.py": SERVER})
    end = len(data) - 22
    offset = struct.unpack_from("<I", data, end + 16)[0]
    record = struct.pack("<4sQHHIIQQQQ", b"PK\x06\x06", 44, 45, 45, 0, 0, 1, 1, 100 << 20, offset)
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, end, 1)
    path = tmp_path / "s.zip"
    path.write_bytes(data[:end] + record + locator + data[end:])  # zipfile would read 100 MB of table
    with pytest.raises(SubmissionUnusable, match=r"^not graded: the submission s.zip lists too many entries \(its "
                                                 r"table of contents alone is 102400 KB\)"):
        locate(path, ["server.py"])


# -- in French -----------------------------------------------------------------------------------------


@pytest.fixture
def french() -> Iterator[None]:
    use("fr")
    yield
    use("en")  # one language per process: the next test reads English again


@pytest.mark.usefixtures("french")
def test_the_findings_are_whole_sentences_in_french(tmp_path: Path) -> None:
    """Each finding is one message of the catalog, its plural chosen by the count, not English words around
    French ones: where files were found, a missing file, copies, entries ignored."""
    sub = write(tmp_path / "s", {"TP2/server.py": SERVER, "TP2/client.py": CLIENT, "old/TP2/server.py": b"old"})
    h = locate(sub, BOTH)
    assert h.notes == ("server.py et client.py ont été trouvés dans TP2/ (pas à la racine du rendu) : notés depuis "
                       "cet endroit.",
                       "D'autres copies de server.py, plus profondes, n'ont pas été notées : old/TP2/server.py.")
    sub = tmp_path / "z"
    make_zip(sub / "tp2.zip", {"TP2/server.py": SERVER, "../evil.py": b"x", "/etc/passwd": b"x"})
    h = locate(sub, BOTH)
    assert h.notes == ("server.py a été trouvé dans TP2/ à l'intérieur de tp2.zip : noté depuis cet endroit.",
                       "tp2.zip : 2 entrées aux noms dangereux ont été ignorées (../evil.py, /etc/passwd).")
    assert h.problems == ("client.py manque : le TP demande server.py et client.py, et aucun fichier rendu ne "
                          "s'appelle client.py.",)
    h = locate(write(tmp_path / "e", {"a.py": b"", "b.py": b"", "c.py": b"", "d.py": b"", "e.py": b"", "f.py": b"",
                                      "g.py": b""}), ["server.py"])
    assert h.problems == ("server.py manque : le TP demande server.py, et aucun fichier rendu ne s'appelle server.py "
                          "(fichiers rendus : a.py, b.py, c.py, d.py, e.py et 2 autres).",)
    h = locate(write(tmp_path / "c", {"Server.py": SERVER}), ["server.py"])
    assert h.notes == ("Server.py a été noté comme server.py : le TP demande server.py (les noms distinguent "
                       "majuscules et minuscules : renommez-le).",)


@pytest.mark.usefixtures("french")
def test_a_submission_refused_says_why_in_french(tmp_path: Path) -> None:
    sub = write(tmp_path / "s", {f"f{i}.py": b"" for i in range(MAX_FILES + 1)})
    with pytest.raises(SubmissionUnusable) as e:
        locate(sub, ["server.py"])
    assert str(e.value) == (f"non noté : le rendu s contient plus de {MAX_FILES} fichiers et dossiers ; ne rendez "
                            f"que les programmes")
    with pytest.raises(UsageError) as u:
        find_submissions(tmp_path / "absent", ["server.py"])
    assert str(u.value) == f"{tmp_path / 'absent'} : fichier ou dossier introuvable"
