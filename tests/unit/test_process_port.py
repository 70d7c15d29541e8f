"""The process backend's port choice (grader/sandbox/process.py free_port): free as a student's
server binds it, in a network namespace of the test's own (unshare -n, root)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

TIME_WAIT_ON_THE_PORT = """
import socket, sys
from grader.driver.jail import loopback_up
from grader.sandbox.process import free_port
loopback_up()
listener = socket.socket()  # the earlier scenario's server, as most set it (the references too)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("", 0))
listener.listen()
port = listener.getsockname()[1]
client = socket.create_connection(("127.0.0.1", port))
served, _ = listener.accept()
listener.close()
served.close()  # the server's side closes first: its end (port `port`) goes to TIME_WAIT
assert client.recv(1) == b""
client.close()
student = socket.socket()  # a beginner's server: no SO_REUSEADDR
try:
    student.bind(("", port))
    print("bound")
except OSError as e:
    print("refused", e.errno)
print(free_port(port) != port)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="unshare -n needs root")
def test_a_port_in_time_wait_is_not_given_to_a_server_without_reuseaddr() -> None:
    """An earlier scenario's connection in TIME_WAIT on the scenario's port (its server set
    SO_REUSEADDR, as most do: a check binding with SO_REUSEADDR finds the port free): a student's
    server that sets none cannot bind it (errno 98), so the process backend picks another port."""
    done = subprocess.run(["unshare", "-n", sys.executable, "-c", TIME_WAIT_ON_THE_PORT], capture_output=True,
                          text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["refused", "98", "True"], done.stdout
