from __future__ import annotations

import json
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from grader.i18n import use
from grader.sandbox import BACKENDS, Sandbox, open_backend
from grader.sandbox.base import SHARED_ENV
from grader.sandbox.local import LocalSandbox

REPO = Path(__file__).resolve().parent.parent
# The suite reads labgrade's English texts, whatever the locale of the machine (a French one would make
# every `grade` it runs speak French: grader/i18n.py); the French ones are tested with --lang fr.
for _variable in ("LC_ALL", "LC_MESSAGES", "LANG"):
    os.environ.pop(_variable, None)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Set by tests/docker/test_inside_a_container.py when it runs the tests marked `process` inside a
# container with Docker's defaults and no network: the process backend shares the network of the
# machine it runs on, so students' programs (which probe it) run there, never on this host.
INSIDE_DEFAULT_CONTAINER = os.environ.get("LABGRADE_TEST_INSIDE") == "default-container"


@cache
def docker_problem() -> str | None:
    """Why the docker backend cannot run here (None: it can)."""
    return BACKENDS["docker"].unavailable()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked `docker` run when an engine and the grading image are there. Without them they
    skip on a developer's machine, but fail in CI (CI=true), which must run them."""
    if item.get_closest_marker("docker") and (problem := docker_problem()):
        if IN_CI:
            pytest.fail(f"CI=true but the docker backend cannot run: {problem}", pytrace=False)
        pytest.skip(f"docker backend unavailable ({problem}); deselect with -m 'not docker'")
    if item.get_closest_marker("process") and not INSIDE_DEFAULT_CONTAINER:
        pytest.skip("the process backend shares its machine's network: tests/docker/test_inside_a_container.py "
                    "runs this inside a container with Docker's defaults and no network")


@pytest.fixture(autouse=True)
def _english_to_start() -> None:
    """Each test starts speaking English (grader/i18n.py: one language per process), whatever a test before
    it chose: a bundled lab run in-process speaks French unless given --lang en (their `language: fr`)."""
    use("en")


@pytest.fixture(autouse=True)
def _isolated_result_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`grade` caches results (grader/cache.py): never across tests, never in ~/.cache."""
    monkeypatch.setenv("LABGRADE_CACHE", str(tmp_path_factory.mktemp("labgrade-cache")))


@pytest.fixture(scope="session")
def local_sandbox() -> Iterator[Sandbox]:
    problem = LocalSandbox.unavailable()
    if problem:
        pytest.fail(f"the local sandbox cannot run on this machine: {problem}")
    box = open_backend("local")
    yield box
    box.close()


@pytest.fixture(scope="session")
def local_lent_sandbox(local_sandbox: Sandbox) -> Iterator[Sandbox]:
    """The local backend as a class run's pytest run opens it: on a channel of its own to the class
    run's driver server (Sandbox.lend), here on the descriptor the channel has in this process."""
    lent = local_sandbox.lend()
    assert lent is not None
    value, channel = lent
    os.environ[SHARED_ENV] = json.dumps({**json.loads(value), "fd": channel.detach()})  # taken by the backend
    box = open_backend("local")
    assert SHARED_ENV not in os.environ
    yield box
    box.close()


@pytest.fixture(scope="session")
def docker_sandbox() -> Iterator[Sandbox]:
    box = open_backend("docker")  # pytest_runtest_setup has already skipped or failed without an engine
    yield box
    box.close()


@pytest.fixture(scope="session")
def docker_per_scenario_sandbox() -> Iterator[Sandbox]:
    """The docker backend where no warm container can be made (not root, AppArmor): a container per scenario."""
    from grader.sandbox.docker import DockerSandbox

    box = DockerSandbox(warm=False)
    yield box
    box.close()


@pytest.fixture(scope="session")
def process_sandbox() -> Iterator[Sandbox]:
    """The process backend, inside a container with Docker's defaults (pytest_runtest_setup)."""
    problem = BACKENDS["process"].unavailable()
    if problem:
        pytest.fail(f"the process sandbox cannot run here: {problem}")
    box = open_backend("process")
    yield box
    box.close()


@pytest.fixture(params=["local", "local_lent", pytest.param("docker", marks=pytest.mark.docker),
                        pytest.param("docker_per_scenario", marks=pytest.mark.docker),
                        pytest.param("process", marks=pytest.mark.process)])
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """Every backend in turn: the sandbox conformance suite runs against each."""
    box: Sandbox = request.getfixturevalue(f"{request.param}_sandbox")
    return box
