"""Sandboxes: one interface, a backend per isolation technique, chosen by name ("auto" picks)."""

from __future__ import annotations

import sys

from ..errors import SandboxUnavailable, UsageError
from ..i18n import _
from .base import DriverProcess, Sandbox
from .docker import DockerSandbox
from .local import LocalSandbox
from .process import ProcessSandbox

BACKENDS: dict[str, type[Sandbox]] = {"local": LocalSandbox, "docker": DockerSandbox, "process": ProcessSandbox}
# "auto": a Docker engine with the grading image first, else namespaces, else (root in a container
# that allows neither: Gradescope's, a CI runner's) the process backend, which isolates less and
# says so in the run's log (README, "Sandbox backends").
AUTO_ORDER = ("docker", "local", "process")


def open_backend(name: str = "auto") -> Sandbox:
    """The named backend, ready to use; "auto" takes the first that works on this machine
    (and says on stderr why a preferred one was passed over)."""
    if name == "auto":
        reasons: list[str] = []
        for backend in (BACKENDS[n] for n in AUTO_ORDER):
            problem = backend.unavailable()
            if problem is None:
                if reasons:
                    print(_("labgrade: using the {backend} sandbox ({reasons})").format(
                        backend=backend.name, reasons="; ".join(reasons)), file=sys.stderr)
                return opened(backend)
            reasons.append(f"{backend.name}: {problem}")
        raise SandboxUnavailable(_("no sandbox backend works on this machine:") + "\n  " + "\n  ".join(reasons))
    if name not in BACKENDS:
        raise UsageError(_("unknown backend {name!r} (choose from: {backends})").format(
            name=name, backends=", ".join(["auto", *BACKENDS])))
    problem = BACKENDS[name].unavailable()
    if problem:
        raise SandboxUnavailable(_("the {backend} backend cannot run here: {problem}").format(backend=name,
                                                                                              problem=problem))
    return opened(BACKENDS[name])


def opened(backend: type[Sandbox]) -> Sandbox:
    """An instance; what the backend cannot isolate, or does slowly here, is said in the run's log (stderr)."""
    box = backend()
    if box.caveat:
        print(f"labgrade: {_(box.caveat)}", file=sys.stderr)  # a class's caveat is a msgid (N_), an instance's said
    return box


__all__ = ["AUTO_ORDER", "BACKENDS", "DriverProcess", "Sandbox", "open_backend"]
