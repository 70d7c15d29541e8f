"""The host's end of the driver's channel: one JSON value per line, read whatever the size of the
line and however the pipe cuts it (a line is scanned once, not again at every read)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from grader.errors import SandboxError
from grader.sandbox.base import DriverProcess, PopenTransport
from grader.sandbox.zygote import DriverServer

WRITER = """
import json, sys, time
sys.stdin.readline()  # the plan
line = json.dumps({"status": "passed", "transcript": {"events": []}, "big": "x" * 20_000_000}) + "\\n"
out = sys.stdout.buffer
for i in range(0, len(line), 4093):  # many small writes: the reader gets the line in pieces
    out.write(line[i:i + 4093].encode())
    out.flush()
out.write(b'{"second": true}\\n')
"""


def test_a_20_mb_line_in_4_kb_pieces_is_read_whole() -> None:
    popen = subprocess.Popen([sys.executable, "-c", WRITER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    proc = DriverProcess(PopenTransport(popen), {"timeout": 60})
    try:
        first = proc._line()
        assert first["status"] == "passed" and len(first["big"]) == 20_000_000
        assert proc._line() == {"second": True}  # what followed the first line in the same read is kept
    finally:
        proc.kill()
    assert json.dumps(first)[:30] == '{"status": "passed", "transcri'


def test_a_driver_server_that_is_gone_is_said_so() -> None:
    """The socket to a driver server whose process ended (its container stopped, say): asking it
    to fork a driver fails with what happened, the grader's error, not one of its own making."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    theirs.close()
    with ours, pytest.raises(SandboxError, match=r"the warm container did not fork a driver \(.*Broken pipe"):
        DriverServer(ours, "warm container").fork()
