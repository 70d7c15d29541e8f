"""Lab 2 - echo client. Erin Schmitt."""
import socket
import sys


def main():
    try:
        host, port = sys.argv[1], int(sys.argv[2])
    except (IndexError, ValueError):
        print("usage: client.py HOST PORT", file=sys.stderr)
        return 2
    try:
        sock = socket.create_connection((host, port), timeout=None)
    except OSError as exc:
        print(f"client: {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    with sock, sock.makefile("rb") as replies:
        while True:
            line = sys.stdin.readline()
            if not line:
                return 0
            data = line.encode("utf-8")
            sock.sendall(data)
            echoed = replies.read(len(data))  # blocks until all bytes (or EOF)
            if len(echoed) < len(data):
                print("client: server closed the connection", file=sys.stderr)
                return 1
            sys.stdout.write(echoed.decode("utf-8"))
            sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
