"""Lab 3 - echo client with a patient connect.

usage: python3 client.py HOST PORT [RETRIES]
Author: Jules Garnier
"""
import socket
import sys
import time


def connect(host, port, retries):
    attempt = 0
    while True:
        attempt += 1
        try:
            # timeout applies to the connect() inside create_connection
            sock = socket.create_connection((host, port), timeout=2)
        except (ConnectionRefusedError, TimeoutError) as e:
            print(f"attempt {attempt}: {e}", file=sys.stderr)
        else:
            sock.settimeout(None)
            return sock
        if attempt > retries:
            return None
        time.sleep(1)


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    retries = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    sock = connect(host, port, retries)
    if sock is None:
        print(f"giving up: {host}:{port} unreachable", file=sys.stderr)
        return 2
    with sock:
        while line := sys.stdin.readline():
            data = line.encode()
            sock.sendall(data)
            reply = b""
            while len(reply) < len(data):
                chunk = sock.recv(len(data) - len(reply))
                if not chunk:
                    print("server closed the connection", file=sys.stderr)
                    return 1
                reply += chunk
            sys.stdout.write(reply.decode())
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
