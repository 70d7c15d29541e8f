"""Waiting, in tests, for what can only be observed from outside (files, /proc, the engine)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_for(condition: Callable[[], T | None], seconds: float, what: str) -> T:
    """Poll an outside observation until it holds (a value neither None nor False), or fail the
    test at the deadline, naming `what` it waited for. There is no event to wait on: polling /proc
    or a file is the only way, and the deadline is a failure, never a verdict."""
    deadline = time.monotonic() + seconds
    interval = 0.005
    while True:
        value = condition()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}")
        time.sleep(interval)
        interval = min(interval * 2, 0.1)
