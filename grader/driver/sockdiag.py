"""The TCP sockets of the network namespace, as the kernel reports them over netlink (sock_diag):
listeners with their backlog and accept queue, and every connection with what it has sent and
received (struct tcp_info). docs/kernel.md, "Sockets, seen through sock_diag"."""

from __future__ import annotations

import atexit
import os
import socket
import struct
from collections.abc import Callable
from typing import NamedTuple

NETLINK_SOCK_DIAG = 4
SOCK_DIAG_BY_FAMILY = 20
NLM_F_REQUEST_DUMP = 0x301
NLMSG_ERROR, NLMSG_DONE = 2, 3
TCP_LISTEN = 10


def netlink_messages(data: bytes) -> tuple[list[bytes], bool]:
    """The inet_diag messages of one netlink reply (inet_diag_msg and its attributes), and whether
    the dump is done."""
    msgs: list[bytes] = []
    off = 0
    while off + 16 <= len(data):
        length, kind = struct.unpack_from("=IH", data, off)
        if kind == NLMSG_DONE:
            return msgs, True
        if kind == NLMSG_ERROR:
            raise OSError(-struct.unpack_from("=i", data, off + 16)[0], "inet_diag request failed")
        msgs.append(data[off + 16:off + length])
        off += (length + 3) & ~3
    return msgs, False


def parse_inet_diag(data: bytes, out: dict[int, tuple[int, int]]) -> bool:
    """Parse one netlink reply into {port: (backlog, accept_queue)}; True when the dump is done."""
    msgs, done = netlink_messages(data)
    for msg in msgs:
        (sport,) = struct.unpack_from("!H", msg, 4)  # inet_diag_msg.id.idiag_sport
        rqueue, wqueue = struct.unpack_from("=II", msg, 56)
        out[sport] = (wqueue, rqueue)  # for a listener: wqueue = backlog, rqueue = queue length
    return done


def _diag_request(family: int, states: int, ext: int = 0) -> bytes:
    """A SOCK_DIAG_BY_FAMILY dump request for TCP sockets of `family` in `states` (a bit mask)."""
    req = struct.pack("=BBBBI", family, socket.IPPROTO_TCP, ext, 0, states) + bytes(48)
    return struct.pack("=IHHII", 16 + len(req), SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST_DUMP, 1, 0) + req


RECV_SIZE = 1 << 16  # a netlink dump's replies are at most 32 KB each (the kernel's cap); a larger buffer is
# mapped and unmapped on every read (~30 µs of a 100 µs dump)
_diag: tuple[int, socket.socket] | None = None  # (pid, socket): a process's own, kept (the settle loops dump
# the sockets every few ms), in the network namespace where it was first needed


def _dump(states: int, ext: int, parse: Callable[[bytes], bool]) -> None:
    """Dump this namespace's TCP sockets (both address families), each reply to `parse`."""
    global _diag
    if _diag is None or _diag[0] != os.getpid():
        kind = socket.SOCK_RAW | socket.SOCK_CLOEXEC
        _diag = (os.getpid(), socket.socket(socket.AF_NETLINK, kind, NETLINK_SOCK_DIAG))
        atexit.register(_diag[1].close)
    s = _diag[1]
    for family in (socket.AF_INET, socket.AF_INET6):
        s.send(_diag_request(family, states, ext))
        while not parse(s.recv(RECV_SIZE)):
            pass


def tcp_listeners() -> dict[int, tuple[int, int]]:
    """{port: (backlog, accept-queue length)} for every TCP listener of this network namespace."""
    out: dict[int, tuple[int, int]] = {}
    _dump(1 << TCP_LISTEN, 0, lambda data: parse_inet_diag(data, out))
    return out



# -- every TCP socket, with what it has sent and received ---------------------------------

INET_DIAG_INFO = 2  # attribute holding struct tcp_info (include/uapi/linux/inet_diag.h)
TCP_ESTABLISHED, TCP_SYN_RECV = 1, 3
ALL_STATES = 0xFFF
# offsets in struct tcp_info (include/uapi/linux/tcp.h; the struct only ever grows): u64
# tcpi_bytes_received at 128 (data bytes received in order, +1 for a FIN), u32 tcpi_notsent_bytes
# at 144, u64 tcpi_bytes_sent and tcpi_bytes_retrans at 200 and 208 (Linux 4.19+): checked
# against a real connection in tests/unit/test_probes.py
TCPI_BYTES_RECEIVED, TCPI_NOTSENT, TCPI_BYTES_SENT, TCPI_MIN_LEN = 128, 144, 200, 216
TCPI_SND_MSS, TCPI_SND_WND = 16, 228  # u32 each; tcpi_snd_wnd: the peer's advertised window (Linux 5.4+)


class TcpSocket(NamedTuple):
    """One TCP socket of the network namespace, as the kernel reports it (sock_diag)."""

    state: int  # TCP_ESTABLISHED = 1, ..., TCP_LISTEN = 10
    local_port: int
    remote_port: int
    rqueue: int  # bytes received and not yet read by the owner (a listener: connections waiting to be accepted)
    wqueue: int  # bytes written and not yet acknowledged (a listener: its backlog)
    inode: int
    sent: int | None = None  # data bytes sent, retransmissions left out (None: the kernel does not say)
    received: int | None = None  # data bytes received in order, plus 1 once a FIN arrived
    notsent: int | None = None  # bytes written that the peer's window did not let out yet
    will_send: bool = False  # some of them will go without anyone acting: the window lets them (or unknown)


def parse_tcp_sockets(data: bytes, out: list[TcpSocket]) -> bool:
    """Parse one netlink reply of a dump with INET_DIAG_INFO; True when the dump is done."""
    msgs, done = netlink_messages(data)
    for msg in msgs:
        state = msg[1]
        sport, dport = struct.unpack_from("!HH", msg, 4)
        rqueue, wqueue, _uid, inode = struct.unpack_from("=IIII", msg, 56)
        sent = received = notsent = None
        will_send = False
        at = 72
        while at + 4 <= len(msg):  # the attributes: (u16 length, u16 type, payload), 4-byte aligned
            alen, atype = struct.unpack_from("=HH", msg, at)
            if alen < 4:
                break
            info = msg[at + 4:at + alen]
            if atype == INET_DIAG_INFO and len(info) >= TCPI_MIN_LEN:
                (received,) = struct.unpack_from("=Q", info, TCPI_BYTES_RECEIVED)
                (notsent,) = struct.unpack_from("=I", info, TCPI_NOTSENT)
                bytes_sent, retrans = struct.unpack_from("=QQ", info, TCPI_BYTES_SENT)
                sent = bytes_sent - retrans
                will_send = bool(notsent) and (len(info) < TCPI_SND_WND + 4 or _window_lets(info, wqueue, notsent))
            at += (alen + 3) & ~3
        out.append(TcpSocket(state, sport, dport, rqueue, wqueue, inode, sent, received, notsent, will_send))
    return done


def _window_lets(info: bytes, wqueue: int, notsent: int) -> bool:
    """Whether bytes written and not sent yet will go by themselves: the peer's window, less what
    is sent and not acknowledged, holds a full segment (or all of them). A sender holds back less
    (silly window avoidance): such bytes wait for the peer to read (docs/kernel.md)."""
    mss: int = struct.unpack_from("=I", info, TCPI_SND_MSS)[0]
    window: int = struct.unpack_from("=I", info, TCPI_SND_WND)[0]
    return window - (wqueue - notsent) >= min(mss or 1, notsent)


def tcp_sockets() -> list[TcpSocket]:
    """Every TCP socket of this network namespace (both address families), with tcp_info."""
    out: list[TcpSocket] = []
    _dump(ALL_STATES, 1 << (INET_DIAG_INFO - 1), lambda data: parse_tcp_sockets(data, out))
    return out



def peer_of(sockets: list[TcpSocket], local_port: int, remote_port: int) -> TcpSocket | None:
    """The other end of the loopback connection local_port -> remote_port, if it is in this namespace."""
    return next((s for s in sockets if s.local_port == remote_port and s.remote_port == local_port
                 and s.state != TCP_LISTEN), None)


def server_end_is_a_socket(client: tuple[int, int]) -> bool:
    """Whether the server's end of the loopback connection `client` (local port, remote port) is a
    socket of its own, in the listener's accept queue or accepted. A client's connect() completes
    once the server's SYN-ACK arrives; its last ACK may not have reached the server yet, whose end
    is then still a request (SYN_RECV, not in the accept queue: a dump lists it only when asked
    for that state, as inode 0)."""
    found: list[TcpSocket] = []
    _dump(ALL_STATES & ~(1 << TCP_LISTEN | 1 << TCP_SYN_RECV), 0, lambda data: parse_tcp_sockets(data, found))
    return peer_of(found, *client) is not None


def in_flight(sockets: list[TcpSocket]) -> list[tuple[int, int, int]]:
    """(from port, to port, bytes) for data sent on loopback that the receiving socket has not
    received yet (still in the kernel's loopback queue). Both ends are in this namespace; bytes
    held back by a closed receive window are not in flight (`notsent`), they wait in the sender."""
    found = []
    for s in sockets:
        if s.sent is None or s.state == TCP_LISTEN:
            continue
        peer = peer_of(sockets, s.local_port, s.remote_port)
        if peer is not None and peer.received is not None and s.sent > peer.received:
            found.append((s.local_port, s.remote_port, s.sent - peer.received))
    return found

