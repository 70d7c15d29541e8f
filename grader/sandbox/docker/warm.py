"""The warm container: one container for the scenarios of a class run, where a driver server forks
each scenario's driver into namespaces of its own (the theory of operation is in __init__.py)."""

from __future__ import annotations

import contextlib
import json
import select
import socket
from pathlib import Path
from typing import Any

from ...errors import SandboxError
from ...i18n import _
from ..base import SHARED_FD
from ..local import Cgroup
from ..zygote import DriverServer
from .config import CGROUP_MOUNT, CONNECT_WITHIN, JAIL_ROOT, WORK_MOUNT, warm_config
from .labels import remove_container


def warm_problem(e: BaseException) -> str:
    """Why no warm container could be made, in words (the usual cause first)."""
    if isinstance(e, PermissionError) and "cgroup" in str(e):
        return _("the students' cgroups cannot be made by this user ({error}): run as root").format(error=e)
    return str(e)


def apparmor_on() -> bool:
    """Whether this host confines containers with AppArmor, whose docker-default profile forbids mounts."""
    try:
        return Path("/sys/module/apparmor/parameters/enabled").read_text().strip() == "Y"
    except OSError:
        return False


class WarmContainer:
    """One container for all the scenarios of a class run (or of a backend opened alone, e.g. a
    submission's pytest run outside `grade`), where a driver server (grader/driver/zygote.py, as
    the local backend's) forks each scenario's driver into new namespaces, and each scenario's
    students go into cgroups of their own, made by the host as the local backend's are, which the
    container sees (the host's /sys/fs/cgroup, at CGROUP_MOUNT): a scenario gets what the local
    backend gives it, at its cost, inside a container (its own filesystem, no network). The host
    listens on a Unix socket in the backend's folder, mounted read-only in the container; the
    server connects to it, and exits when the host closes it, which ends the container (its PID
    1). A class run lends it to each submission's pytest run (lend(), then join()): a channel of
    its own to the server, and a folder of its own in the backend's folder for its copies of the
    submission and reference."""

    def __init__(self, api: Any, work: Path, cid: str, server: DriverServer, owned: bool) -> None:
        self.api, self.work, self.cid, self.server, self.owned = api, work, cid, server, owned

    @classmethod
    def make(cls, api: Any, work: Path, labels: dict[str, str]) -> WarmContainer:
        """The warm container of a backend whose folder is `work`, its driver server connected and checked."""
        probe = Cgroup(8, 64)  # first: a user who may not make cgroups makes no container for nothing
        cid: str | None = None
        server: DriverServer | None = None
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            listener.bind(str(work / "driver.sock"))
            listener.listen(1)
            cid = api.create_container(**warm_config(work, labels, apparmor_on()))["Id"]
            api.start(cid)
            if not select.select([listener], [], [], CONNECT_WITHIN)[0]:
                raise SandboxError(_("its driver server did not connect within {seconds:g} s: {log}").format(
                    seconds=CONNECT_WITHIN, log=container_log(api, cid)))
            server = DriverServer(listener.accept()[0], "docker sandbox's driver server")
            warm = cls(api, work, cid, server, owned=True)
            if why := server.check([warm.inside(p) for p in probe.procs], JAIL_ROOT):
                raise SandboxError(_("a scenario's namespaces cannot be made in it: {why} (its log: {log})").format(
                    why=why, log=container_log(api, cid)))
            return warm
        except BaseException:
            if server is not None:
                server.sock.close()
            if cid:
                remove_container(api, cid)
            raise
        finally:
            probe.close()
            listener.close()
            with contextlib.suppress(OSError):
                (work / "driver.sock").unlink()

    def lend(self) -> tuple[str, socket.socket]:
        """What another process needs to join this container: SHARED_ENV's value, and its channel."""
        return json.dumps({"cid": self.cid, "work": str(self.work), "fd": SHARED_FD}), self.server.channel()

    @classmethod
    def join(cls, api: Any, lent: str) -> WarmContainer:
        """The container a class run lent (SHARED_ENV), on the channel it passed as SHARED_FD."""
        shared = json.loads(lent)
        server = DriverServer(socket.socket(fileno=int(shared["fd"])), "docker sandbox's driver server")
        return cls(api, Path(shared["work"]), shared["cid"], server, owned=False)

    def inside(self, path: str | Path) -> str:
        """The container's path of a host path under the backend's folder or the host's cgroups."""
        path = str(path)
        for host, inside in ((self.work, WORK_MOUNT), (Cgroup.V1, CGROUP_MOUNT)):
            if path.startswith(f"{host}/"):
                return inside + path[len(str(host)):]
        raise ValueError(f"{path} is not in the warm container")

    def close(self) -> None:
        """Owned: the server exits, and with it the container (auto_remove); joined: this
        process's channel closes, and the server kills what it still runs for it."""
        self.server.sock.close()
        if self.owned:
            remove_container(self.api, self.cid)


def container_log(api: Any, cid: str) -> str:
    with contextlib.suppress(Exception):
        return api.logs(cid).decode(errors="replace").strip()[-2000:] or _("no output")
    return _("no output")
