"""Hostile: echoes the first line it gets, then sends 1 GB more to that client (1 MB at a time,
as fast as the grader reads), so that a grader keeping everything its clients receive would grow
by that much. Bounded: 1 GB, or until the client goes."""
import socket
import sys

lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("", int(sys.argv[1])))
lsock.listen(5)
conn, _ = lsock.accept()
line = b""
while not line.endswith(b"\n"):
    data = conn.recv(4096)
    if not data:
        sys.exit(0)
    line += data
conn.sendall(line)
chunk = b"flood " * 166666 + b"...\n"  # 1,000,000 bytes
try:
    for _ in range(1000):
        conn.sendall(chunk)
except OSError:
    pass
