#!/usr/bin/env python3
# Chat server (lab 5) -- Alexandre Blanc
import select
import socket
import sys


def main(port):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("", port))
    server.listen(64)

    inputs = [server]
    pending = {}

    while True:
        readable, _, _ = select.select(inputs, [], [])
        for s in readable:
            if s is server:
                conn, addr = server.accept()
                inputs.append(conn)
                pending[conn] = b""
                continue

            data = s.recv(4096)
            if data == b"":
                # client disconnected
                inputs.remove(s)
                del pending[s]
                s.close()
                continue

            pending[s] += data
            while b"\n" in pending[s]:
                line, pending[s] = pending[s].split(b"\n", 1)
                for other in inputs:
                    if other is not server and other is not s:
                        other.sendall(line + b"\n")


if __name__ == "__main__":
    main(int(sys.argv[1]))
