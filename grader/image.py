"""The grading image for the docker backend: `grade image build [--offline] [--base IMAGE]`.

The image is the top-level Dockerfile on a base that has Python 3.11+: an interpreter at
/usr/local/bin/python3, a root-only /grader (where the driver code and the reference are mounted
at run time) and a /submission mount point. Nothing of labgrade is copied in: the driver is
mounted from the host, so the image only changes when the Dockerfile does.

Online, the base is the Dockerfile's default (an official slim Python image, pulled by the
engine). `--offline` (air-gapped grading servers, CI without an image registry) makes the base
from Debian packages instead: `debootstrap --variant=minbase --include=python3` from the mirror
that apt on this machine already uses, imported with `docker import` as labgrade-base:bookworm.
Each step is skipped when its image already exists (the grading image also when it was built
from this very Dockerfile), so running the command again is cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import shutil
import socket
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from . import __version__
from .errors import GraderError
from .i18n import N_, _

IMAGE = f"labgrade-grader:{__version__}"
DEFAULT_BASE = "python:3.11-slim"  # the Dockerfile's ARG BASE default
OFFLINE_SUITE = "bookworm"  # Debian 12: python3 is 3.11
OFFLINE_BASE = f"labgrade-base:{OFFLINE_SUITE}"
_HERE = Path(__file__).resolve().parent
# a checkout keeps the Dockerfile at its top; a wheel carries it as package data
DOCKERFILE = next((p for p in (_HERE.parent / "Dockerfile", _HERE / "_data" / "Dockerfile") if p.is_file()),
                  _HERE.parent / "Dockerfile")
DIGEST_LABEL = "org.labgrade.dockerfile"  # sha256 of the Dockerfile and build args the image came from
BASE_LABEL = "org.labgrade.base"  # the base it was built on
APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
# The Docker API version spoken (Docker 20.10+, Podman): fixed, because the SDK's "auto" asks the
# engine in the client's constructor, and leaks that connection when no engine answers.
DOCKER_API = "1.41"
BASE_ENV = ["ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "ENV LANG=C.UTF-8"]

Log = Callable[[str], None]
NO_ENGINE = N_("no Docker engine answers ({problem}); start dockerd (or set DOCKER_HOST)")
NO_ACCESS = N_("no access to the Docker engine ({problem}): join the `docker` group or run as root")


class ImageError(GraderError):
    """The grading image could not be built (the message says what to install or run)."""


def unix_socket_problem() -> str | None:
    """Why the engine's unix socket (DOCKER_HOST, or the default) cannot be connected to, if it is one.

    Checked before the SDK connects: its unix connection leaks the socket when connect() fails."""
    host = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    if not host.startswith("unix://"):
        return None
    path = host[len("unix://"):]
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        try:
            s.connect(path)
        except OSError as e:
            return f"{path}: {e.strerror or e}"
    return None


def client(timeout: int = 900) -> Any:
    """A Docker SDK client, or an ImageError that says how to get an engine."""
    import docker  # type: ignore[import-untyped]

    if problem := unix_socket_problem():
        raise ImageError(_(NO_ENGINE).format(problem=problem))
    try:
        c = docker.from_env(version=DOCKER_API, timeout=timeout)
        c.ping()
    except (docker.errors.DockerException, OSError) as e:
        raise ImageError(_(NO_ENGINE).format(problem=e)) from e
    return c


def dockerfile_text() -> str:
    if not DOCKERFILE.is_file():
        raise ImageError(_("{file} is missing: reinstall labgrade, or build from a checkout (its top holds the "
                           "Dockerfile)").format(file=DOCKERFILE))
    return DOCKERFILE.read_text()


def digest(base: str) -> str:
    return hashlib.sha256(f"{dockerfile_text()}\n--build-arg BASE={base}".encode()).hexdigest()[:16]


def image_labels(c: Any, name: str) -> dict[str, str] | None:
    """The image's labels ({} if none), or None when there is no such image."""
    import docker

    try:
        return dict(c.api.inspect_image(name).get("Config", {}).get("Labels") or {})
    except docker.errors.ImageNotFound:
        return None


def apt_mirror(suite: str = OFFLINE_SUITE) -> tuple[str, str | None]:
    """(mirror URL, keyring or None) of a Debian archive that apt on this machine already uses for `suite`.

    Reads /etc/apt/sources.list ("deb [signed-by=K] URL SUITE main") and sources.list.d/*.list and
    *.sources (deb822: Types/URIs/Suites/Signed-By), so no mirror name is written down anywhere."""
    found: list[tuple[str, str | None]] = []
    files: list[Path] = []
    for p in APT_SOURCES:
        files += sorted(p.glob("*")) if p.is_dir() else [p] if p.is_file() else []
    for f in files:
        text = f.read_text(errors="replace")
        if f.suffix == ".sources":
            for stanza in re.split(r"\n\s*\n", text):
                fields: dict[str, str] = {}
                for line in stanza.splitlines():
                    if line.startswith("#") or ":" not in line or line[:1].isspace():
                        continue
                    key, value = line.split(":", 1)
                    fields[key.strip().lower()] = value.strip()
                if fields.get("enabled", "yes").lower() == "no" or "deb" not in fields.get("types", "").split():
                    continue
                if suite in fields.get("suites", "").split() and "main" in fields.get("components", "").split():
                    found += [(uri, fields.get("signed-by")) for uri in fields.get("uris", "").split()]
        elif f.name == "sources.list" or f.suffix == ".list":
            for line in text.splitlines():
                m = re.match(r"\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s+(.*)", line)
                if m and m.group(3) == suite and "main" in m.group(4).split():
                    signed = re.search(r"signed-by=(\S+)", m.group(1) or "")
                    found.append((m.group(2), signed.group(1) if signed else None))
    for uri, keyring in found:
        if uri.startswith(("http://", "https://", "file:/")):
            return uri, keyring if keyring and Path(keyring).is_file() else None
    raise ImageError(_("apt on this machine has no `deb` source for Debian {suite} main (looked in "
                       "/etc/apt/sources.list and /etc/apt/sources.list.d/); add one, or build online").format(
        suite=suite))


def _unmount_below(root: Path) -> None:
    """debootstrap mounts /proc (and more) in its target; a failed run may leave them there."""
    prefix = str(root.resolve()) + "/"
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for target in sorted((m for m in mounts if m.startswith(prefix)), key=len, reverse=True):
        subprocess.run(["umount", "-l", target], check=False)


@contextlib.contextmanager
def _scratch_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="labgrade-image-", dir=os.environ.get("TMPDIR", "/var/tmp")))
    try:
        yield path
    finally:
        _unmount_below(path)
        shutil.rmtree(path, ignore_errors=True)


def debootstrap_base(c: Any, tag: str = OFFLINE_BASE, suite: str = OFFLINE_SUITE, log: Log = print) -> None:
    """A minimal Debian with python3, from this machine's apt mirror, imported as `tag`."""
    if os.geteuid() != 0:
        raise ImageError(_("building the base offline runs debootstrap, which needs root (run with sudo)"))
    if not shutil.which("debootstrap"):
        raise ImageError(_("debootstrap is missing: apt-get install debootstrap"))
    mirror, keyring = apt_mirror(suite)
    with _scratch_dir() as tmp:
        root = tmp / "rootfs"
        cmd = ["debootstrap", "--variant=minbase", "--include=python3", "--components=main",
               *([f"--keyring={keyring}"] if keyring else []), suite, str(root), mirror]
        log(_("debootstrap {suite} (minbase + python3) from {mirror} ...").format(suite=suite, mirror=mirror))
        with open(tmp / "debootstrap.log", "wb") as out:
            rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
        if rc != 0:
            tail = (tmp / "debootstrap.log").read_text(errors="replace")[-3000:]
            raise ImageError(_("debootstrap failed (exit {rc}):").format(rc=rc) + f"\n{tail}")
        _unmount_below(root)
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "var/log"):
            for p in (root / junk).glob("*"):
                if p.is_file():
                    p.unlink()
        tar = tmp / "rootfs.tar"
        subprocess.run(["tar", "--numeric-owner", "-C", str(root), "-cf", str(tar), "."], check=True)
        repository, _colon, name = tag.rpartition(":")
        log(_("docker import -> {image} ({size} MB)").format(image=tag, size=tar.stat().st_size >> 20))
        c.api.import_image_from_file(str(tar), repository=repository, tag=name, changes=BASE_ENV)
    if image_labels(c, tag) is None:
        raise ImageError(_("docker import did not produce {image}").format(image=tag))


def _context(dockerfile: str) -> io.BytesIO:
    """A build context holding only the Dockerfile (it copies nothing in)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        data = dockerfile.encode()
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return buf


def build(offline: bool = False, base: str | None = None, log: Log = print, force: bool = False) -> str:
    """Build IMAGE (unless it is already built from this Dockerfile and base); return its name."""
    import docker

    base = base or (OFFLINE_BASE if offline else DEFAULT_BASE)
    c = client()
    try:
        want = digest(base)
        labels = image_labels(c, IMAGE)
        if not force and labels is not None and labels.get(DIGEST_LABEL) == want:
            log(_("{image} is up to date (base {base})").format(image=IMAGE, base=base))
            return IMAGE
        if image_labels(c, base) is None:
            if offline and base == OFFLINE_BASE:
                debootstrap_base(c, log=log)
            elif offline:
                raise ImageError(_("base image {base} is not on this machine and --offline cannot pull it; omit --base "
                                   "to make {offline} from Debian packages").format(base=base, offline=OFFLINE_BASE))
        previous = c.api.inspect_image(IMAGE)["Id"] if labels is not None else None
        log(_("building {image} from {file} on {base}").format(image=IMAGE, file=DOCKERFILE.name, base=base))
        lines: list[str] = []
        try:
            for chunk in c.api.build(fileobj=_context(dockerfile_text()), custom_context=True, tag=IMAGE,
                                     buildargs={"BASE": base}, labels={DIGEST_LABEL: want, BASE_LABEL: base},
                                     rm=True, forcerm=True, pull=False, network_mode="none" if offline else None,
                                     decode=True):
                if "error" in chunk:
                    failed = _("building {image} failed: {error}").format(image=IMAGE, error=chunk["error"].strip())
                    raise ImageError(failed + "\n" + "".join(lines[-20:])
                                     + ("\n" + _("(no image registry answered? try --offline)") if not offline else ""))
                if chunk.get("stream"):
                    lines.append(chunk["stream"])
        except docker.errors.DockerException as e:
            raise ImageError(_("building {image} failed: {error}").format(image=IMAGE, error=e)) from e
        if image_labels(c, IMAGE) is None:
            raise ImageError(_("the build ended but {image} does not exist:").format(image=IMAGE) + "\n"
                             + "".join(lines[-20:]))
        if previous and previous != c.api.inspect_image(IMAGE)["Id"]:
            with contextlib.suppress(docker.errors.APIError):  # still used by a container: it stays
                c.api.remove_image(previous)
        log(_("built {image}").format(image=IMAGE))
        return IMAGE
    finally:
        c.close()
