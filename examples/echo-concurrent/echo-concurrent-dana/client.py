#!/usr/bin/env python3
"""TP2 - client d'echo. Dana Leroy."""
import socket
import sys


def recv_all(sock, n):
    parts = []
    while n > 0:
        part = sock.recv(n)
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} HOST PORT")
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.connect((sys.argv[1], int(sys.argv[2])))
    except (OSError, ValueError) as e:
        print(f"connection to {sys.argv[1]}:{sys.argv[2]} failed: {e}", file=sys.stderr)
        sys.exit(1)
    for line in iter(sys.stdin.readline, ""):
        out = line.encode()
        sock.sendall(out)
        back = recv_all(sock, len(out))
        if len(back) != len(out):
            print("server went away", file=sys.stderr)
            sys.exit(1)
        print(back.decode(), end="", flush=True)
    sock.close()
