"""fill_queue counts what the kernel queued (grader/driver/measure_steps.py): a client whose
connect() completed is in the listen queue only once the server's end is a socket of its own, which
it is when the handshake's last ACK has reached the server. That ACK is made late here, in a network
namespace of the test's own (root; a PID namespace too, so that the settle after the burst looks at
the test's processes only): a netfilter rule drops each connection's first one, so the server's end
stays a request (SYN_RECV) until the server sends its SYN-ACK again (1 s later)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

FILL_BEHIND_LATE_ACKS = """
import socket, subprocess
from grader.driver.jail import loopback_up
from grader.driver.loop import Loop
from grader.driver.steps import Runner
from grader.driver.transcript import Transcript
from grader.driver.wire import Plan
loopback_up()
PORT = 20999
# the handshake's last ACK: a connection's 2nd packet to the server
SECOND = ["-m", "connbytes", "--connbytes", "2:2", "--connbytes-dir", "original", "--connbytes-mode", "packets"]
rule = subprocess.run(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", str(PORT), "--tcp-flags", "SYN,ACK,FIN,RST",
                       "ACK", *SECOND, "-j", "DROP"], capture_output=True, text=True)
if rule.returncode != 0:
    raise SystemExit("netfilter refused the rule: " + rule.stderr.strip())
busy = socket.socket()  # a busy server: it never accepts
busy.bind(("127.0.0.1", PORT))
busy.listen(2)
plan = Plan.from_json({"type": "plan", "steps": [], "port": PORT, "timeout": 60, "programs": {},
                       "student": {"dir": "/"}, "reference": {"dir": "/"}})
runner = Runner(plan, Loop(), Transcript(), spawn=None)
runner.run_step({"fill_queue": {"as": "q{i}", "max": 8, "within": 5, "save": "capacity"}})
print(runner.saved["capacity"])
runner.teardown()
"""


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("iptables"), reason="needs root and iptables")
def test_a_client_counts_once_the_server_has_its_last_ack() -> None:
    """Backlog 2: the kernel queues 3 connections and drops the 4th SYN, in whatever order the
    handshakes' last ACKs and the next SYNs arrive. Counted as soon as a client's connect()
    returned, every client was in (the requests piled up while the accept queue stayed empty),
    then the queue seemed drained by the server: 16."""
    code = textwrap.dedent(FILL_BEHIND_LATE_ACKS)
    done = subprocess.run(["unshare", "--net", "--pid", "--fork", "--mount-proc", sys.executable, "-c", code],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    if "netfilter refused the rule" in done.stderr:  # a kernel without the connbytes match: nothing to test with
        pytest.skip(" ".join(done.stderr[done.stderr.index("netfilter refused"):].split()))
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["3"], done.stdout
