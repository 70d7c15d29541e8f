"""The ports a scenario's servers and listeners get where the network is shared (the process sandbox).

In a network of the scenario's own (the local and docker sandboxes) the plan's port and the next
ones are free: nothing else binds there, and they lie below the kernel's ephemeral ports, which a
connect() takes its source port from (grader/run.py PORTS). Where the network is the container's,
a port may be held by someone else (another program of the container, an earlier scenario's
connection in TIME_WAIT for 60 s), and `ip_local_port_range` is whatever the container has: each
server's port is then the first one from the wanted port on that a student's server can bind and
that no connect() of the scenario can take first.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
from collections.abc import Collection, Iterator
from pathlib import Path

EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")  # "32768\t60999": per network namespace


def ephemeral() -> range:
    """The ports this network's kernel gives a connect() without bind() as its source port."""
    low, high = map(int, EPHEMERAL.read_text().split())
    return range(low, high + 1)


def bindable(port: int) -> bool:
    """Free as a student's server binds it: on every address, without SO_REUSEADDR, so that a
    connection in TIME_WAIT on the port (an earlier scenario's, when its server closed first) counts
    as holding it: a server that sets no SO_REUSEADDR would fail there with "Address already in
    use", which is not its fault."""
    with socket.socket() as s, contextlib.suppress(OSError):
        s.bind(("", port))
        return True
    return False


def candidates(wanted: int, taken: Collection[int], avoid: range) -> Iterator[int]:
    """From `wanted` up, then from 1024 up to it: outside `avoid` first, then anywhere."""
    def around() -> Iterator[int]:
        return (p for p in itertools.chain(range(wanted, 65536), range(1024, wanted)) if p not in taken)
    return itertools.chain((p for p in around() if p not in avoid), (p for p in around() if p in avoid))


def free_port(wanted: int, taken: Collection[int] = ()) -> int:
    """The port a server of the scenario gets on a shared network: `wanted` (the scenario's, stable
    across runs) when a student's server can bind it, else the next one that is, never one in
    `taken` (the scenario's other servers) and, while there is any other, none that a connect()
    could take as its source port before the server binds it."""
    port = next((p for p in candidates(wanted, taken, ephemeral()) if bindable(p)), None)
    if port is None:
        raise OSError("no free TCP port")
    return port


class ScenarioPorts(dict[str, int]):
    """A scenario's servers and listeners by name -> their ports: the plan's port for the first,
    the next one for each other; on a shared network, the first free one from there."""

    def __init__(self, wanted: int, shared: bool) -> None:
        super().__init__()
        self.shared = shared
        # on a shared network, one nothing holds: a client started before any server (an
        # unreachable server) must find no one there
        self.first = free_port(wanted) if shared else wanted

    def new(self, name: str) -> int:
        port = self.first + len(self)
        self[name] = free_port(port, taken=self.values()) if self.shared else port
        return self[name]
