"""The student's root filesystem inside a sandbox, mounted by the driver (the local and
docker backends; the process backend has no mount namespace).

`build_root()` mounts a private tmpfs root holding read-only binds of /usr (and the /lib*, /bin
symlinks), a generated /etc, a few /dev nodes, the namespace's /proc with hidepid=2, a size-capped
tmpfs /tmp, and the staged submission at /submission; the folders of installed packages
(site-packages, dist-packages: labgrade's own, with its scenarios and references, when it is
installed system-wide) are hidden under empty mounts. Nothing else of the host (other
submissions, assignments, the reference, the grader) exists in it. A chrooted process without
capabilities cannot leave it, and the kernel refuses a new user namespace to a chrooted process
(jail.py's `student_preexec()` chroots there).
"""

from __future__ import annotations

import glob
import os

from .jail import HOSTNAME, mount

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC = 32, 4096, 16384
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21


def _locked_flags(path: str) -> int:
    """Mount flags of the mount holding `path` that a bind remount must keep (user namespaces)."""
    f = os.statvfs(path).f_flag
    pairs = ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
             (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME), (os.ST_RELATIME, MS_RELATIME))
    return sum(ms for st, ms in pairs if f & st)


def bind_readonly(source: str, target: str) -> None:
    mount(source, target, None, MS_BIND | MS_REC)
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | _locked_flags(source)
    mount(None, target, None, flags)


ETC_FILES = {
    "passwd": "root:x:0:0:root:/root:/usr/sbin/nologin\nstudent:x:{uid}:{gid}:student:/tmp:/usr/sbin/nologin\n",
    "group": "root:x:0:\nstudent:x:{gid}:\n",
    "hosts": f"127.0.0.1\tlocalhost\n127.0.1.1\t{HOSTNAME}\n::1\tlocalhost ip6-localhost ip6-loopback\n",
    "nsswitch.conf": "passwd: files\ngroup: files\nhosts: files\n",
    "resolv.conf": "",
}
DEVICES = ("null", "zero", "full", "random", "urandom")


def build_root(root: str, submission: str, python: str, uid: int, gid: int, scratch_mb: int) -> None:
    """Mount the student's whole visible filesystem at `root` (see the module docstring)."""
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    for name in ("usr", "etc", "dev", "proc", "tmp", "submission"):
        os.mkdir(os.path.join(root, name))
    bind_readonly("/usr", f"{root}/usr")
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = "/" + name
        if os.path.islink(host):
            os.symlink(os.readlink(host), f"{root}/{name}")
        elif os.path.isdir(host):
            os.mkdir(f"{root}/{name}")
            bind_readonly(host, f"{root}/{name}")
    # the scratch /tmp first: an interpreter under /tmp (LABGRADE_PYTHON) is bound inside it, not hidden by it
    mount("tmpfs", f"{root}/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={scratch_mb}m,mode=1777")
    prefix = interpreter_prefix(python)
    if not (prefix + "/").startswith(("/usr/", "/bin/", "/lib")):
        os.makedirs(root + prefix, exist_ok=True)  # an interpreter outside /usr, e.g. /opt/python3.12
        bind_readonly(prefix, root + prefix)
    for found in installed_packages(prefix):  # students use the standard library only
        if os.path.isdir(root + found):
            mount("tmpfs", root + found, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=555")
    for name, text in ETC_FILES.items():
        with open(f"{root}/etc/{name}", "w") as f:
            f.write(text.format(uid=uid, gid=gid))
    if os.path.exists("/etc/ld.so.cache"):
        open(f"{root}/etc/ld.so.cache", "w").close()
        bind_readonly("/etc/ld.so.cache", f"{root}/etc/ld.so.cache")
    for dev in DEVICES:
        open(f"{root}/dev/{dev}", "w").close()
        mount(f"/dev/{dev}", f"{root}/dev/{dev}", None, MS_BIND)
    mount("proc", f"{root}/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
    bind_readonly(submission, f"{root}/submission")
    mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)


SITE_PACKAGES = ("usr/lib/python3*/*-packages", "usr/local/lib/python3*/*-packages")


_PACKAGES: dict[str, list[str]] = {}  # interpreter prefix -> installed_packages(), found once (zygote.py)


def installed_packages(prefix: str) -> list[str]:
    """The folders of installed packages, as the host sees them: what pip or apt put beside the
    standard library of /usr or of the interpreter's `prefix`, labgrade itself among them when it
    is installed system-wide (its scenarios, hidden ones included, and the references). Students'
    programs use the standard library only: these are hidden in their view, which binds the same
    folders. Looked for once per process (the driver server's, before it forks the drivers)."""
    if prefix not in _PACKAGES:
        patterns = [f"/{p}" for p in SITE_PACKAGES] + [f"{prefix}/lib/python3*/site-packages"]
        _PACKAGES[prefix] = sorted({os.path.realpath(found) for pattern in patterns for found in glob.glob(pattern)
                                    if os.path.isdir(found)})
    return _PACKAGES[prefix]


def interpreter_prefix(python: str) -> str:
    return os.path.dirname(os.path.dirname(os.path.realpath(python)))
