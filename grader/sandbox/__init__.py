"""Sandboxes: one interface, a backend per isolation technique, chosen by name ("auto" picks)."""

from __future__ import annotations

from ..errors import UsageError
from .base import DriverProcess, Sandbox
from .local import LocalSandbox

BACKENDS: dict[str, type[Sandbox]] = {"local": LocalSandbox}


def open_backend(name: str = "auto") -> Sandbox:
    """The named backend, ready to use; "auto" takes the first that works on this machine."""
    if name == "auto":
        reasons = []
        for backend in BACKENDS.values():
            problem = backend.unavailable()
            if problem is None:
                return backend()
            reasons.append(f"{backend.name}: {problem}")
        raise UsageError("no sandbox backend works on this machine:\n  " + "\n  ".join(reasons))
    if name not in BACKENDS:
        raise UsageError(f"unknown backend {name!r} (choose from: auto, {', '.join(BACKENDS)})")
    problem = BACKENDS[name].unavailable()
    if problem:
        raise UsageError(f"the {name} backend cannot run here: {problem}")
    return BACKENDS[name]()


__all__ = ["BACKENDS", "DriverProcess", "Sandbox", "open_backend"]
