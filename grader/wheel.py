"""labgrade as a wheel, for the Gradescope autograder zip (grader/gradescope.py), and the wheelhouse of what it needs.

The wheel is written with the standard library (a wheel is a zip with a dist-info folder:
METADATA, WHEEL, entry_points.txt, RECORD), from a checkout (metadata from pyproject.toml, the
labs from assignments/ and reference/, as hatchling would lay them out) or from an installed
labgrade (its own METADATA, the labs from grader/_data/). So packaging needs no build tool and
no network. Its entries, as those of the Gradescope zip, have fixed dates: packaging the same
sources twice gives the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from . import __version__
from .errors import UsageError

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent  # when labgrade runs from a checkout: pyproject.toml, assignments/, reference/
DATA = "grader/_data"  # where the wheel carries the labs (pyproject.toml's force-include)
ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip entry holds (MS-DOS time): the same bytes every time
WHEEL_TAG = "py3-none-any"
WHEELHOUSE_PYTHONS = ("3.11", "3.12", "3.13")  # Debian 12's, Ubuntu 24.04's, and setup.sh's choices
MANYLINUX = ("manylinux2014", "manylinux_2_17", "manylinux_2_28")  # glibc 2.28+: Ubuntu 22.04 and later


def files_under(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


def wheel_contents() -> dict[str, bytes]:
    """Archive name -> bytes of every file the wheel installs (the package and the labs)."""
    contents = {f"grader/{p.relative_to(PACKAGE).as_posix()}": p.read_bytes() for p in files_under(PACKAGE)}
    if (CHECKOUT / "pyproject.toml").is_file():  # a checkout: the labs are beside the package
        for top in ("assignments", "reference"):
            for p in files_under(CHECKOUT / top):
                contents[f"{DATA}/{top}/{p.relative_to(CHECKOUT / top).as_posix()}"] = p.read_bytes()
        if (CHECKOUT / "Dockerfile").is_file():
            contents[f"{DATA}/Dockerfile"] = (CHECKOUT / "Dockerfile").read_bytes()
    if not any(name.startswith(f"{DATA}/assignments/") for name in contents):
        raise UsageError(f"no bundled labs found (neither {CHECKOUT / 'assignments'} nor {PACKAGE / '_data'}): "
                         f"reinstall labgrade, or package from a checkout")
    return contents


def metadata_files() -> tuple[str, str]:
    """(METADATA, entry_points.txt): from pyproject.toml in a checkout, else from the installed labgrade."""
    pyproject = CHECKOUT / "pyproject.toml"
    if not pyproject.is_file():
        dist = metadata.distribution("labgrade")
        return dist.read_text("METADATA") or "", dist.read_text("entry_points.txt") or ""
    project = tomllib.loads(pyproject.read_text())["project"]
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {__version__}",
             f"Summary: {project.get('description', '')}", f"Requires-Python: {project.get('requires-python', '')}"]
    if isinstance(project.get("license"), str):
        lines.append(f"License: {project['license']}")
    lines += [f"Requires-Dist: {dep}" for dep in project.get("dependencies", [])]
    groups = {"console_scripts": project.get("scripts", {}), **project.get("entry-points", {})}
    entry_points = "".join(f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in items.items()) + "\n"
                           for group, items in groups.items() if items)
    return "\n".join(lines) + "\n", entry_points


def record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest},{len(data)}"


def zip_write(z: zipfile.ZipFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = zipfile.ZipInfo(name, ZIP_DATE)
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)


def build_wheel(dest: Path) -> Path:
    """labgrade as a wheel in folder `dest`; returns its path."""
    info = f"labgrade-{__version__}.dist-info"
    meta, entry_points = metadata_files()
    files = wheel_contents()
    files[f"{info}/METADATA"] = meta.encode()
    files[f"{info}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: labgrade {__version__} (grade gradescope-package)\n"
                              f"Root-Is-Purelib: true\nTag: {WHEEL_TAG}\n").encode()
    files[f"{info}/entry_points.txt"] = entry_points.encode()
    record = "".join(f"{name},{record_hash(data)}\n" for name, data in files.items()) + f"{info}/RECORD,,\n"
    files[f"{info}/RECORD"] = record.encode()
    path = dest / f"labgrade-{__version__}-{WHEEL_TAG}.whl"
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            zip_write(z, name, data)
    return path


def download_wheelhouse(wheel: Path, dest: Path, machine: str) -> list[Path]:
    """Wheels of everything `wheel` needs, and pip, for each of WHEELHOUSE_PYTHONS on Linux/`machine`:
    what setup.sh installs with no package index. pip reads its index from its own configuration."""
    dest.mkdir(parents=True, exist_ok=True)
    for version in WHEELHOUSE_PYTHONS:
        platforms = [arg for tag in MANYLINUX for arg in ("--platform", f"{tag}_{machine}")]
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                               "--only-binary=:all:", "--implementation", "cp", "--python-version", version,
                               *platforms, "--dest", str(dest), str(wheel), "pip"],
                              capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if done.returncode != 0:
            raise UsageError(f"could not download the wheelhouse for Python {version} on {machine} "
                             f"(pip download):\n{done.stderr.strip()[-2000:]}")
    (dest / wheel.name).unlink(missing_ok=True)  # labgrade's own wheel is at the top of the zip
    return sorted(dest.glob("*.whl"))
