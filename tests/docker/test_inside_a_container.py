"""labgrade run inside someone else's container, as autograding platforms and CI runners run it:
Docker's defaults (no CAP_SYS_ADMIN, the default seccomp profile), no network, root inside."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import pytest

from grader.image import IMAGE

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.docker


@pytest.fixture
def api() -> Iterator[Any]:
    client = docker.from_env(timeout=60)
    yield client.api
    client.close()


def in_default_container(api: Any, code: str) -> tuple[int, str]:
    """Run Python `code` with this checkout's grader, as root in a container with Docker's defaults."""
    container = api.create_container(
        IMAGE, ["python3", "-I", "-c", f"import sys; sys.path.insert(0, '/repo'); {code}"], user="0",
        entrypoint=[], network_disabled=True, labels={"labgrade.test": "inside-a-container"},
        host_config=api.create_host_config(binds={str(REPO): {"bind": "/repo", "mode": "ro"}}, network_mode="none"))
    try:
        api.start(container)
        status = api.wait(container, timeout=120)["StatusCode"]
        return status, api.logs(container).decode(errors="replace")
    finally:
        api.remove_container(container, force=True)


def test_the_local_backend_says_it_cannot_run_where_namespaces_are_refused(api: Any) -> None:
    """Root in such a container may not create namespaces: the local backend must say so before
    grading (so that `auto` passes it over, or `grade` stops with exit status 4), rather than fail
    every scenario as a grader error."""
    status, out = in_default_container(api, "from grader.sandbox.local import LocalSandbox; "
                                            "print(LocalSandbox.unavailable())")
    assert status == 0, out
    assert "Linux namespaces cannot be made here, even as root" in out and "CAP_SYS_ADMIN" in out
