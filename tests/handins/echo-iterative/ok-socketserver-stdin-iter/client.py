"""Lab 1 - echo client.

python3 client.py HOST PORT
Each line typed is sent to the server and the echo is printed as is.
"""
import socket
import sys


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    try:
        sock = socket.create_connection((host, port))
    except OSError as exc:
        sys.stderr.write(f"client: cannot reach {host}:{port}: {exc}\n")
        return 1

    with sock:
        # on a terminal, iterating over stdin gives each line as soon as Enter is pressed
        for line in sys.stdin:
            data = line.encode()
            sock.sendall(data)
            received = b""
            while len(received) < len(data):
                part = sock.recv(4096)
                if not part:
                    sys.stderr.write("client: server closed the connection\n")
                    return 1
                received += part
            # raw bytes, exactly what came back
            sys.stdout.buffer.write(received)
            sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
