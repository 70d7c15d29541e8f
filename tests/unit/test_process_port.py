"""The ports of a scenario on a shared network (grader/driver/ports.py, the process sandbox): free as
a student's server binds them, and out of the kernel's ephemeral ports; each case in a network
namespace of the test's own (unshare -n, root), where it may hold ports and set ip_local_port_range."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="unshare -n needs root")


def in_a_network_of_its_own(code: str) -> list[str]:
    done = subprocess.run(["unshare", "-n", sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_a_port_in_time_wait_is_not_given_to_a_server_without_reuseaddr() -> None:
    """An earlier scenario's connection in TIME_WAIT on the scenario's port (its server set
    SO_REUSEADDR, as most do: a check binding with SO_REUSEADDR finds the port free): a student's
    server that sets none cannot bind it (errno 98), so the scenario gets the next port."""
    assert in_a_network_of_its_own("""
        import socket
        from grader.driver.jail import loopback_up
        from grader.driver.ports import free_port
        loopback_up()
        listener = socket.socket()  # the earlier scenario's server, as most set it (the references too)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("", 20500))
        listener.listen()
        client = socket.create_connection(("127.0.0.1", 20500))
        served, _ = listener.accept()
        listener.close()
        served.close()  # the server's side closes first: its end (port 20500) goes to TIME_WAIT
        assert client.recv(1) == b""
        client.close()
        student = socket.socket()  # a beginner's server: no SO_REUSEADDR
        try:
            student.bind(("", 20500))
            print("bound")
        except OSError as e:
            print("refused", e.errno)
        print(free_port(20500))
    """) == ["refused", "98", "20501"]


def test_each_server_of_a_scenario_gets_a_port_nobody_holds() -> None:
    """The scenario's second server: its port (wanted + 1) held by another program of the network,
    the next one; never a port the scenario's first server has."""
    assert in_a_network_of_its_own("""
        import socket
        from grader.driver.ports import free_port
        other = socket.socket()
        other.bind(("", 20501))
        first = free_port(20500)
        print(first, free_port(20501, taken=[first]), free_port(20500, taken=[first]))
    """) == ["20500", "20502", "20502"]


def test_no_port_a_connect_could_take_first() -> None:
    """An ip_local_port_range lowered over the scenario's ports (a connect() of the scenario could
    take one as its source port before the server binds it): ports above the range, then below it;
    inside it only when there is no other."""
    assert in_a_network_of_its_own("""
        from pathlib import Path
        from grader.driver.ports import EPHEMERAL, free_port
        EPHEMERAL.write_text("20000 60999")
        print(free_port(20500), free_port(20500, taken=range(61000, 65536)))
        EPHEMERAL.write_text("1024 65535")
        print(free_port(20500))
    """) == ["61000", "1024", "20500"]


def test_a_scenarios_ports_on_a_shared_network() -> None:
    """The plan's port held before the scenario starts: a client started before any server aims
    at a free one (nobody answers there), the first server gets that one, the next the one after
    it that is free. In a network of the scenario's own, the plan's port and the next ones."""
    assert in_a_network_of_its_own("""
        import socket
        from grader.driver.ports import ScenarioPorts
        held = [socket.socket(), socket.socket()]
        held[0].bind(("", 20500))
        held[1].bind(("", 20502))
        shared, own = ScenarioPorts(20500, shared=True), ScenarioPorts(20500, shared=False)
        print(shared.first, shared.new("server"), shared.new("second"), own.new("server"), own.new("second"))
    """) == ["20501", "20501", "20503", "20500", "20501"]
