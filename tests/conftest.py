from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.sandbox import Sandbox, open_backend
from grader.sandbox.local import LocalSandbox

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def local_sandbox() -> Iterator[Sandbox]:
    problem = LocalSandbox.unavailable()
    if problem:
        pytest.fail(f"the local sandbox cannot run on this machine: {problem}")
    box = open_backend("local")
    yield box
    box.close()
