"""The docker backend (DockerSandbox): a scenario in the warm container, or in a container of its
own started ahead; the theory of operation is in __init__.py."""

from __future__ import annotations

import atexit
import collections
import contextlib
import json
import os
import select
import shutil
import socket
import tempfile
import threading
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ...errors import SandboxError
from ...i18n import _
from ...image import DOCKER_API, IMAGE, NO_ACCESS, NO_ENGINE, unix_socket_problem
from ..base import RUN_ENV, SHARED_ENV, DriverProcess, StartsAhead, copy_driver
from ..lifecycle import sweep_cgroups
from ..local import Cgroup
from ..zygote import Spares
from .config import CONTAINER_PYTHON, JAIL_ROOT, SANDBOX_UID, alarm_of, cpus, docker_sdk, scenario_config, scenario_plan
from .labels import cleanup_by_label, labels_of, owner_id, remove_container, sweep_stale
from .transport import DockerTransport
from .warm import WarmContainer, warm_problem

SPARES = 2  # containers started ahead: a container's start takes longer than a correct scenario


def limit_socket_memory(api: Any, cid: str, limit: int) -> None:
    """Charge the container's socket buffers to it, up to `limit` bytes, on a cgroup v1 host: the
    engine records KernelMemoryTCP but runc no longer applies it, so the grader, root on the
    engine's host, writes memory.kmem.tcp.limit_in_bytes of the container's memory cgroup itself,
    right after the start, while only the driver runs there and no TCP socket exists yet (the limit
    applies to the sockets made after it). On cgroup v2 sockets count in mem_limit already;
    elsewhere (a remote engine, not root) it cannot be done and the container keeps the engine's."""
    if not limit:
        return
    with contextlib.suppress(OSError, KeyError, ValueError, docker_sdk().errors.DockerException):
        pid = int(api.inspect_container(cid)["State"]["Pid"])
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if "memory" in controllers.split(","):
                Path(f"/sys/fs/cgroup/memory{path}/memory.kmem.tcp.limit_in_bytes").write_text(str(limit))


class DockerSandbox:
    """`warm=False`: a container per scenario even where a warm container could be made (tests)."""

    name = "docker"
    one_at_a_time = False
    caveat: str | None = None

    @classmethod
    def unavailable(cls) -> str | None:
        try:
            docker = docker_sdk()
        except ImportError:
            return _("the `docker` Python package is missing: pip install docker")
        if problem := unix_socket_problem():
            if "ermission denied" in problem:
                return _(NO_ACCESS).format(problem=problem)
            return _(NO_ENGINE).format(problem=problem)
        try:
            client = docker.from_env(version=DOCKER_API, timeout=10)
        except docker.errors.DockerException as e:
            return _(NO_ENGINE).format(problem=e)
        try:
            client.ping()
            client.api.inspect_image(IMAGE)
        except docker.errors.ImageNotFound:
            return _("image {image} missing: run `grade image build --offline` (or `grade image build` with a "
                     "registry)").format(image=IMAGE)
        except (docker.errors.DockerException, OSError) as e:
            if "ermission denied" in str(e):
                return _(NO_ACCESS).format(problem=e)
            return _(NO_ENGINE).format(problem=e)
        finally:
            client.close()
        return None

    @classmethod
    def fingerprint(cls) -> dict[str, str]:
        client = docker_sdk().from_env(version=DOCKER_API, timeout=30)
        try:
            return {"image": str(client.api.inspect_image(IMAGE)["Id"])}
        finally:
            client.close()

    @classmethod
    def sweep(cls, within: float) -> None:
        """The containers of dead owners (by their labels), and the run's cgroups (the warm container's scenarios')."""
        with contextlib.suppress(Exception):  # the engine is gone: its containers end by their own alarm
            sweep_stale()
        sweep_cgroups(os.environ.get(RUN_ENV, "")[:12], within)

    def __init__(self, warm: bool = True) -> None:
        docker = docker_sdk()
        try:
            self.client = docker.from_env(version=DOCKER_API, timeout=120)
            self.api = self.client.api
            self.api.ping()
        except (docker.errors.DockerException, OSError) as e:
            raise SandboxError(_(NO_ENGINE).format(problem=e)) from e
        if RUN_ENV not in os.environ:  # inherited by the pytest processes `grade` starts
            os.environ[RUN_ENV] = uuid.uuid4().hex[:12]
        self.run_id = os.environ[RUN_ENV]
        self.owner = owner_id()
        self.id = uuid.uuid4().hex[:12]
        self.labels = labels_of(self.run_id, self.owner, self.id)
        self.closed = False
        # the driver is mounted from a private copy: editing the checkout meanwhile cannot break a run
        lent = os.environ.pop(SHARED_ENV, None) if warm else None  # a class run's warm container (not passed on)
        top = Path(json.loads(lent)["work"]) if lent else None  # then this run's copies go in its folder
        self.lib = copy_driver(Path(tempfile.mkdtemp(prefix="labgrade-driver-", dir=top)))
        self._references: dict[str, Path] = {}  # a reference folder -> its copy under self.lib
        self._spare_client = docker.from_env(version=DOCKER_API, timeout=120)  # for the spares' thread
        self._spare_api = self._spare_client.api
        self._spares = ThreadPoolExecutor(max_workers=SPARES, thread_name_prefix="labgrade-spare")
        self._spare: collections.deque[tuple[Future[DockerTransport], dict[str, Any]]] = collections.deque()
        self._starts = StartsAhead()
        self._lock = threading.Lock()  # scenarios may start side by side, from several threads
        cleanup_by_label(self.api, stale=True)  # what crashed graders left behind
        atexit.register(self.close)
        self._staged: dict[str, Path] = {}  # a submission folder -> its copy under self.lib (warm container)
        self.warm: WarmContainer | None = None
        self.spares: Spares | None = None
        try:
            if warm:
                self.warm = WarmContainer.join(self.api, lent) if lent else WarmContainer.make(self.api, self.lib,
                                                                                                 self.labels)
            self.spares = Spares(self.warm.server.fork) if self.warm else None
        except (SandboxError, OSError, docker.errors.DockerException) as e:
            self.caveat = _("the docker sandbox makes a container per scenario here, which is slower: {why}").format(
                why=warm_problem(e))

    def reference_copy(self, folder: str) -> Path:
        """The reference, mounted from a copy under this backend's temp folder: a container's
        /proc/self/mountinfo shows a mount's host path, and the checkout's path says too much
        (a user's name, the course's layout). Copied once per backend."""
        with self._lock:
            if folder not in self._references:
                self._references[folder] = Path(shutil.copytree(folder,
                                                                self.lib / f"reference-{len(self._references)}"))
            return self._references[folder]

    def start(self, plan: dict[str, Any]) -> DriverProcess:
        if self.closed:
            raise SandboxError("the docker backend was closed")
        if self.warm is not None and self.spares is not None:
            return self._start_warm(self.warm, self.spares, plan)
        config = scenario_config(plan, self.reference_copy(plan["reference"]["dir"]), self.lib, self.labels)
        return DriverProcess(self._take(config), {**scenario_plan(plan), "alarm": alarm_of(plan)})

    def _start_warm(self, warm: WarmContainer, spares: Spares, plan: dict[str, Any]) -> DriverProcess:
        """A scenario in the warm container: its students in a cgroup of their own, as the local backend's."""
        limits = dict(plan.get("limits", {}))
        cgroup = Cgroup.for_limits(limits, cpus=cpus())
        try:
            plan = {**plan, "limits": limits, "jail": {"root": JAIL_ROOT},
                    "cgroups": [warm.inside(procs) for procs in cgroup.procs],
                    "student": {**plan["student"], "dir": warm.inside(self.staged(plan["student"]["dir"])),
                                "python": CONTAINER_PYTHON, "uid": SANDBOX_UID, "gid": SANDBOX_UID},
                    "reference": {**plan["reference"], "python": CONTAINER_PYTHON,
                                  "dir": warm.inside(self.reference_copy(plan["reference"]["dir"]))}}
            driver = spares.take()
        except BaseException:
            cgroup.close()
            raise
        return DriverProcess(driver, plan, cleanup=cgroup.close)

    def staged(self, folder: str) -> Path:
        """A submission, copied once under this backend's folder, which the warm container sees."""
        with self._lock:
            if folder not in self._staged:
                self._staged[folder] = Path(shutil.copytree(folder, self.lib / f"submission-{len(self._staged)}",
                                                            symlinks=True))
            return self._staged[folder]

    def _launch(self, config: dict[str, Any], api: Any) -> DockerTransport:
        """Create, attach and start a container (through `api`); its driver waits for a plan."""
        docker = docker_sdk()
        cid: str | None = None
        transport: DockerTransport | None = None
        try:
            cid = api.create_container(**config)["Id"]
            # attached before the start, so that no output is lost; the plan (JSON) never holds the
            # detach keys (ctrl-p ctrl-q): json.dumps escapes control characters
            attached = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            transport = DockerTransport(self.api, cid, attached, self._remove_later)
            api.start(cid)
            limit_socket_memory(api, cid, int(config["host_config"].get("KernelMemoryTCP") or 0))
        except BaseException as e:
            if transport:
                transport.kill()
            elif cid:
                remove_container(self.api, cid)
            if isinstance(e, docker.errors.ImageNotFound):
                raise SandboxError(_("image {image} missing: run `grade image build --offline`").format(
                    image=IMAGE)) from e
            if isinstance(e, docker.errors.DockerException):
                raise SandboxError(_("cannot start a container: {error}").format(error=e)) from e
            raise
        return transport

    def _take(self, config: dict[str, Any]) -> DockerTransport:
        """The oldest spare container, started during earlier scenarios, when it was made for the
        same configuration and its driver still waits (it wrote nothing), else a new one; then
        spares are started in the background (own API connection) to keep SPARES in flight. A
        scenario still gets a container that nothing ran in before, but does not wait for its
        start (~0.3-0.5 s, longer than a correct scenario: hence two in flight; bench/RESULTS.md).
        A spare's boot alarm covers its wait; the plan re-arms it."""
        key = {k: v for k, v in config.items() if k != "command"}
        transport: DockerTransport | None = None
        while transport is None:
            with self._lock:
                if not self._spare:
                    break
                future, made_for = self._spare.popleft()
            try:
                candidate: DockerTransport | None = future.result()
            except Exception:  # the next start below says what is wrong, if it still is
                candidate = None
            if candidate is not None and made_for == key and not select.select([candidate.sock], [], [], 0)[0]:
                transport = candidate
            elif candidate is not None:
                candidate.kill()
        if transport is None:
            transport = self._launch(config, self.api)
        alarm = (SPARES + 1) * int(config["command"][-1])  # the scenarios before its own, then its own
        spare_config = {**config, "command": [*config["command"][:-1], str(alarm)]}
        with self._lock:
            self._starts.one_started()
            while len(self._spare) < SPARES and self._starts.worth(len(self._spare)):
                self._spare.append((self._spares.submit(self._launch, spare_config, self._spare_api), key))
        return transport

    def expect(self, starts: int) -> None:
        if self.spares is not None:
            self.spares.expect(starts)
        with self._lock:
            self._starts.left = starts

    def lend(self) -> tuple[str, socket.socket] | None:
        return self.warm.lend() if self.warm is not None and self.warm.owned else None

    def _remove_later(self, cid: str) -> None:
        """Remove a used container on the spares' thread (own API connection); close() joins it."""
        try:
            self._spares.submit(remove_container, self._spare_api, cid)
        except RuntimeError:  # the backend is closing: remove it now
            remove_container(self.api, cid)

    def run(self, plan: dict[str, Any]) -> dict[str, Any]:
        return self.start(plan).finish()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        atexit.unregister(self.close)
        try:
            if self.spares is not None:
                self.spares.close()
            if self.warm is not None:
                self.warm.close()
            while self._spare:
                with contextlib.suppress(Exception):
                    self._spare.popleft()[0].result().kill()
            self._spares.shutdown(wait=True)
            cleanup_by_label(self.api, sandbox=self.id)
        finally:
            self._spare_client.close()
            self.client.close()
            shutil.rmtree(self.lib, ignore_errors=True)
