"""Observation parsers of grader.driver (probes, sockdiag, syscalls, tasks), on realistic /proc text and
netlink bytes."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from grader.driver import probes
from grader.driver.probes import ProcStat, parse_netstat, parse_stat, parse_status
from grader.driver.sockdiag import (
    NLMSG_DONE,
    NLMSG_ERROR,
    TcpSocket,
    in_flight,
    parse_inet_diag,
    peer_of,
    tcp_listeners,
    tcp_sockets,
)
from grader.driver.tasks import read_tasks, reads_from_another_process
from tests.waiting import wait_for

# /proc/PID/stat of a process whose comm is "my ) prog": state S, ppid 1, utime 7, stime 3, 4 threads.
STAT = ("4242 (my ) prog) S 1 4242 4242 0 -1 4194560 1234 0 5 0 7 3 0 0 20 0 4 0 98765 "
        "25165824 2345 18446744073709551615 1 1 0 0 0 0 0 16781312 2 0 0 0 17 3 0 0 0 0 0\n")

STATUS = """\
Name:\tpython3
Umask:\t0022
State:\tS (sleeping)
PPid:\t1
CapBnd:\t0000000000000000
voluntary_ctxt_switches:\t12
"""

NETSTAT = """\
TcpExt: SyncookiesSent SyncookiesRecv ListenOverflows ListenDrops TCPBacklogDrop
TcpExt: 0 0 17 19 2
IpExt: InNoRoutes InTruncatedPkts ListenOverflows
IpExt: 0 0 99
"""


def test_parse_stat_with_spaces_and_parenthesis_in_comm() -> None:
    assert parse_stat(4242, STAT) == ProcStat(pid=4242, state="S", ppid=1, cpu_ticks=10, threads=4)


def test_parse_stat_of_this_process() -> None:
    with open(f"/proc/{os.getpid()}/stat") as f:
        stat = parse_stat(os.getpid(), f.read())
    assert (stat.pid, stat.ppid, stat.state) == (os.getpid(), os.getppid(), "R")
    assert stat.threads >= 1


def test_parse_status() -> None:
    status = parse_status(STATUS)
    assert status["Name"] == "python3"
    assert status["State"] == "S (sleeping)"
    assert status["CapBnd"] == "0000000000000000"
    assert status["voluntary_ctxt_switches"] == "12"


def test_parse_netstat_reads_tcpext_only() -> None:
    assert parse_netstat(NETSTAT) == {"SyncookiesSent": 0, "SyncookiesRecv": 0, "ListenOverflows": 17,
                                      "ListenDrops": 19, "TCPBacklogDrop": 2}
    assert parse_netstat("IpExt: A\nIpExt: 1\n") == {}


def test_parse_netstat_of_this_namespace() -> None:
    with open("/proc/net/netstat") as f:
        text = f.read()
    header, values = [line.split() for line in text.splitlines() if line.startswith("TcpExt:")]
    raw = dict(zip(header[1:], map(int, values[1:]), strict=True))  # the kernel's columns, read another way
    counters = parse_netstat(text)
    assert counters == raw and "ListenOverflows" in counters and "ListenDrops" in counters


# -- netlink sock_diag replies, packed as the kernel packs them ----------------------------

def nlmsg(kind: int, payload: bytes, seq: int = 1) -> bytes:
    """nlmsghdr (len, type, flags, seq, pid) + payload, padded to 4 bytes; len excludes the padding."""
    length = 16 + len(payload)
    return struct.pack("=IHHII", length, kind, 2, seq, 0) + payload + bytes(-length % 4)


def inet_diag_msg(sport: int, rqueue: int, wqueue: int, attrs: bytes = b"") -> bytes:
    sockid = (struct.pack("!HH", sport, 0) + socket.inet_pton(socket.AF_INET, "127.0.0.1").ljust(16, b"\0")
              + bytes(16) + struct.pack("=III", 0, 0xDEAD, 0xBEEF))
    assert len(sockid) == 48
    body = (struct.pack("=BBBB", socket.AF_INET, 10, 0, 0) + sockid
            + struct.pack("=IIIII", 0, rqueue, wqueue, 1000, 123456))
    assert len(body) == 72
    return nlmsg(20, body + attrs)


def test_parse_inet_diag_listeners_then_done() -> None:
    out: dict[int, tuple[int, int]] = {}
    # the first message carries 5 bytes of attributes: the next one starts at the 4-byte boundary after it
    reply = inet_diag_msg(0xABCD, rqueue=0, wqueue=5, attrs=b"\x05" * 5) + inet_diag_msg(8080, rqueue=3, wqueue=128)
    assert parse_inet_diag(reply, out) is False
    assert out == {8080: (128, 3), 0xABCD: (5, 0)}
    assert parse_inet_diag(inet_diag_msg(9, rqueue=1, wqueue=2) + nlmsg(NLMSG_DONE, struct.pack("=i", 0)), out)
    assert out == {8080: (128, 3), 0xABCD: (5, 0), 9: (2, 1)}


def test_parse_inet_diag_error_message_raises_oserror() -> None:
    error = nlmsg(NLMSG_ERROR, struct.pack("=i", -13) + struct.pack("=IHHII", 76, 20, 0x301, 1, 0))
    with pytest.raises(OSError) as excinfo:
        parse_inet_diag(error, {})
    assert excinfo.value.errno == 13


def test_tcp_listeners_sees_backlog_and_accept_queue() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(7)
        port = server.getsockname()[1]
        assert tcp_listeners()[port] == (7, 0)
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            # the handshake completes in the kernel, asynchronously
            wait_for(lambda: tcp_listeners()[port] == (7, 1), 10, "one connection in the accept queue")


def test_tcp_info_figures_of_a_real_connection() -> None:
    """The tcp_info offsets read by tcp_sockets(): bytes sent and received on both ends of a real
    loopback connection, bytes waiting in a receive queue, and a FIN counted as 1 received."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = socket.create_connection(server.getsockname())
        conn, _ = server.accept()
        with client, conn:
            client.sendall(b"x" * 1000)
            conn.sendall(b"y" * 12345)
            assert conn.recv(400) == b"x" * 400
            ports = (client.getsockname()[1], conn.getsockname()[1])

            def ends() -> tuple[TcpSocket, TcpSocket]:
                socks = tcp_sockets()
                mine = peer_of(socks, ports[1], ports[0])
                theirs = peer_of(socks, ports[0], ports[1])
                assert mine is not None and theirs is not None
                return mine, theirs

            c, s = ends()  # c: the client's socket (its peer is the server's), s: the server's
            assert (c.local_port, c.remote_port, s.local_port, s.remote_port) == (*ports, *ports[::-1])
            assert (c.sent, c.received, c.rqueue) == (1000, 12345, 12345)
            assert (s.sent, s.received, s.rqueue) == (12345, 1000, 600)
            assert [f for f in in_flight(tcp_sockets()) if f[0] in ports] == []  # everything sent arrived
            client.shutdown(socket.SHUT_WR)
            # the FIN crosses loopback at once; the state is read from outside
            c, s = wait_for(lambda: (e := ends())[1].received == 1001 and e, 10, "the FIN on the server's end")
            assert s.rqueue == 601  # the FIN counts 1 in both


def test_a_read_waits_for_another_process_on_a_pipe_a_socket_or_a_terminal_not_on_a_file(tmp_path: Path) -> None:
    """A read() of a file can end by itself (its page comes from the disk): never 'forever', so
    that a program caught in it is not taken for quiescent (a wrong early failure)."""
    (tmp_path / "f").write_bytes(b"x")
    r, w = os.pipe()
    a, b = socket.socketpair()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    file_fd = os.open(tmp_path / "f", os.O_RDONLY)
    fifo_fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    null_fd = os.open("/dev/null", os.O_RDONLY)
    try:
        me = os.getpid()
        assert reads_from_another_process(me, r) and reads_from_another_process(me, a.fileno())
        assert reads_from_another_process(me, null_fd)  # a device
        assert not reads_from_another_process(me, file_fd) and not reads_from_another_process(me, fifo_fd)
    finally:
        for fd in (r, w, file_fd, fifo_fd, null_fd):
            os.close(fd)
        a.close()
        b.close()


def test_read_tasks_sees_each_thread_of_a_threaded_program_and_a_single_threaded_one_whole() -> None:
    """A program with a thread spinning while its main thread waits for it shows that thread busy
    (the process's own stat is its main thread's); a one-thread program waiting on a pipe from
    another process waits forever."""
    spinning = "import threading; t = threading.Thread(target=lambda: [0 for _ in iter(int, 1)]); t.start(); t.join()"
    threaded = subprocess.Popen([sys.executable, "-c", spinning])
    reader = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    probes.SCOPE[:] = [threaded.pid, reader.pid]
    try:
        tasks = wait_for(lambda: (t := read_tasks(os.getpid(), calls=True)).busy and ((reader.pid, "read") in t.waiting)
                         and t, 30, "a busy thread, and the reader waiting in read()")
        assert {pid for pid, _tid in tasks.busy} == {threaded.pid}
        wait_for(lambda: any(tid != threaded.pid for _pid, tid in read_tasks(os.getpid()).busy), 30,
                 "the spinning thread seen busy")
    finally:
        probes.SCOPE[:] = []
        threaded.kill()
        reader.kill()
        threaded.wait()
        reader.communicate()
