"""One single-threaded event loop: every fd of the scenario is pumped, every wait is a condition.

All sockets, pipes and pty masters are registered here and read as soon as they are ready,
so nothing ever blocks on a full pipe and every byte is timestamped when it arrives. A wait
is `wait_until(condition, deadline)`: the condition is re-checked after each batch of I/O and
the wait returns the moment it holds. Conditions that only /proc or netlink can answer
(`poll=True`) are also re-checked on a timer that starts at 1 ms and backs off to 20 ms: the
cost of observing from outside, never a sleep that "lets it happen".
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

POLL_FIRST, POLL_MAX = 0.001, 0.02
RX_BUDGET = 64 << 20  # bytes the scripted clients of one scenario keep in all, unless the plan says
# (limits: received_mb; a flood is 16 MiB): the driver's memory stays bounded whatever a program
# sends; what is past it is counted, not kept


class Deadline:
    """An absolute point in time; waits take one and never re-compute a timeout."""

    def __init__(self, at: float) -> None:
        self.at = at

    @classmethod
    def after(cls, seconds: float, cap: Deadline | None = None) -> Deadline:
        at = time.monotonic() + seconds
        return cls(min(at, cap.at) if cap else at)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())


class Loop:
    def __init__(self, rx_budget: int = RX_BUDGET) -> None:
        self.selector = selectors.DefaultSelector()
        self.rx_budget = self.rx_room = rx_budget
        self.on_child_exit: Callable[[], None] = lambda: None
        r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        self._wake_r = r
        signal.set_wakeup_fd(w)  # SIGCHLD wakes the loop: process exits are events too
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.watch(r, self._drain_wakeup)

    def watch(self, fd: int, on_ready: Callable[[], None], write: bool = False, read: bool | None = None) -> None:
        """Call on_ready when fd is readable (the default), writable (`write`), or either (both)."""
        read = not write if read is None else read
        events = (selectors.EVENT_WRITE if write else 0) | (selectors.EVENT_READ if read else 0)
        try:
            self.selector.modify(fd, events, on_ready)
        except KeyError:
            self.selector.register(fd, events, on_ready)

    def keep(self, size: int) -> int:
        """How many of `size` bytes just received may be kept (the rest is counted only)."""
        kept = min(size, self.rx_room)
        self.rx_room -= kept
        return kept

    def unwatch(self, fd: int) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(fd)

    def _drain_wakeup(self) -> None:
        try:
            while os.read(self._wake_r, 512):
                pass
        except BlockingIOError:
            pass
        self.on_child_exit()

    def pump(self, timeout: float) -> int:
        """Wait up to `timeout` for I/O and handle what is ready; the number of fds handled."""
        ready = self.selector.select(timeout)
        for key, _ in ready:
            key.data()
        return len(ready)

    def drain(self, rounds: int = 1000) -> None:
        """Handle what is ready now, until nothing is (at most `rounds` rounds: a flood never ends)."""
        for _ in range(rounds):
            if not self.pump(0):
                return

    def wait_until(self, condition: Callable[[], T | None], deadline: Deadline, poll: bool = False) -> T | None:
        interval = POLL_FIRST
        while True:
            result = condition()
            if result is not None:
                return result
            left = deadline.remaining()
            if left <= 0:
                return None
            self.pump(min(left, interval) if poll else left)
            interval = min(interval * 2, POLL_MAX)
