"""The docker backend's labels and clean-up: every container carries labels (labgrade=1;
labgrade.run, shared by a `grade` command and the pytest processes it starts; labgrade.owner, the
grader process; labgrade.sandbox, the backend instance), and is removed by them: a backend's own
at its close, and at any start those of owners that are no longer alive on this host."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...errors import SandboxError
from ...i18n import _
from ...image import DOCKER_API
from .config import docker_sdk

LABEL, RUN_LABEL, OWNER_LABEL, BOX_LABEL = "labgrade", "labgrade.run", "labgrade.owner", "labgrade.sandbox"


def labels_of(run_id: str, owner: str, box_id: str) -> dict[str, str]:
    """The labels of a container made by the backend instance `box_id` of process `owner` in run `run_id`."""
    return {LABEL: "1", RUN_LABEL: run_id, OWNER_LABEL: owner, BOX_LABEL: box_id}


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return "?"


def _start_time(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def owner_id(pid: int | None = None) -> str:
    """This process, as `host/boot/pid/start-time` (a pid alone may be reused)."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}/{_boot_id()}/{pid}/{_start_time(pid)}"


def owner_is_gone(owner: str) -> bool:
    """True when the grader process that labelled a container has ended (on this host)."""
    parts = owner.rsplit("/", 3)
    if len(parts) != 4 or not parts[2].isdigit():
        return False
    host, boot, pid, start = parts
    if host != socket.gethostname():
        return False  # another machine's grader on a shared engine: not ours to judge
    return boot != _boot_id() or _start_time(int(pid)) != start


@contextlib.contextmanager
def sigint_deferred() -> Iterator[None]:
    """Let a removal finish before a Ctrl-C takes effect (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread() or signal.getsignal(signal.SIGINT) is None:
        yield  # (None: a handler not set from Python, which cannot be put back)
        return
    pending: list[int] = []
    old = signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)
        if pending:
            if callable(old):
                old(signal.SIGINT, None)
            elif old != signal.SIG_IGN:
                raise KeyboardInterrupt


def remove_container(api: Any, cid: str) -> None:
    """Kill and remove a container; one that is gone or already being removed is fine."""
    docker = docker_sdk()
    with sigint_deferred():
        try:
            api.remove_container(cid, force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as e:
            if e.status_code != 409:  # 409: auto_remove is already removing it
                raise SandboxError(_("cannot remove container {id}: {error}").format(id=cid[:12], error=e)) from e


def cleanup_by_label(api: Any, *, sandbox: str | None = None, stale: bool = False) -> int:
    """Remove labgrade containers (and volumes) made by the backend instance `sandbox`, or, with
    `stale`, those whose owner process has ended on this host. Returns how many containers went."""
    removed = 0
    filters = {"label": [f"{BOX_LABEL}={sandbox}"] if sandbox else [LABEL]}
    for c in api.containers(all=True, filters=filters):
        labels = c.get("Labels") or {}
        if stale and not owner_is_gone(labels.get(OWNER_LABEL, "")):
            continue
        remove_container(api, c["Id"])
        removed += 1
    for v in (api.volumes(filters=filters) or {}).get("Volumes") or []:
        if stale and not owner_is_gone((v.get("Labels") or {}).get(OWNER_LABEL, "")):
            continue
        with contextlib.suppress(docker_sdk().errors.APIError):
            api.remove_volume(v["Name"], force=True)
    return removed


def sweep_stale() -> None:
    """Remove what graders that ended without their cleanup left (as each backend does at its start)."""
    client = docker_sdk().from_env(version=DOCKER_API, timeout=30)
    try:
        cleanup_by_label(client.api, stale=True)
    finally:
        client.close()
