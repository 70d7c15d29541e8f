#!/usr/bin/env python3
# TP1 - client d'echo
# Alice Martin, groupe B
import socket
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: client.py HOST PORT")
    host, port = sys.argv[1], int(sys.argv[2])

    try:
        sock = socket.create_connection((host, port))
    except OSError as err:
        # sys.exit with a string prints it on stderr and exits with code 1
        sys.exit(f"error: could not reach {host}:{port} ({err})")

    with sock:
        while line := sys.stdin.readline():
            payload = line.encode()
            sock.sendall(payload)
            # the echo can come back in several pieces
            answer = b""
            while len(answer) < len(payload):
                part = sock.recv(1024)
                if not part:
                    sys.exit("error: the server closed the connection")
                answer += part
            print(answer.decode(), end="", flush=True)


if __name__ == "__main__":
    main()
