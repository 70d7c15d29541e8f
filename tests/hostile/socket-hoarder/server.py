"""Hostile: opens 100 loopback connections to itself and fills each with data nobody reads, so that
the kernel holds it in socket buffers (outside the process's own memory); reports how much it got
the kernel to hold as one JSON line on stderr, then works as an echo server, holding them all.
Bounded: 100 connections, each filled until the kernel refuses more."""
import json
import socket
import sys

held = []
queued = 0
lsock = socket.create_server(("127.0.0.1", 0), backlog=128)
for _ in range(100):
    a = socket.create_connection(lsock.getsockname())
    b, _ = lsock.accept()
    held += [a, b]
    a.setblocking(False)
    chunk = b"x" * 65536
    while True:
        try:
            queued += a.send(chunk)
        except BlockingIOError:
            break
        except OSError:
            break
print(json.dumps({"queued": queued}), file=sys.stderr, flush=True)

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", int(sys.argv[1])))
server.listen(5)
while True:
    conn, _ = server.accept()
    with conn:
        while data := conn.recv(4096):
            conn.sendall(data)
