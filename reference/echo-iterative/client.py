"""Lab 1 and 2 - echo client (same client for both labs).

Usage: python3 client.py HOST PORT

Sends each line read on stdin (newline included) to the echo server
and prints the echoed reply. At the end of stdin, closes the connection.
"""
import socket
import sys

BUFFER_SIZE = 4096


def recv_exactly(sock, size):
    """Receive exactly size bytes: the reply may arrive in several pieces.

    Returns fewer bytes only if the server closed the connection first.
    """
    data = b""
    while len(data) < size:
        chunk = sock.recv(min(BUFFER_SIZE, size - len(data)))
        if not chunk:           # b"" : the server closed the connection
            break
        data += chunk
    return data


def main():
    if len(sys.argv) != 3:
        print(f"usage: {sys.argv[0]} HOST PORT", file=sys.stderr)
        sys.exit(2)
    host, port = sys.argv[1], sys.argv[2]

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.connect((host, int(port)))
    except (OSError, ValueError, OverflowError) as e:  # refused, bad host/port
        print(f"client: cannot connect to {host}:{port}: {e}", file=sys.stderr)
        sys.exit(1)

    try:
        while True:
            # readline() (not "for line in sys.stdin") hands each line over
            # as soon as it is typed; it returns "" at the end of stdin.
            line = sys.stdin.readline()
            if not line:
                break
            data = line.encode("utf-8")
            sock.sendall(data)
            reply = recv_exactly(sock, len(data))
            if len(reply) < len(data):
                print("client: connection closed by the server", file=sys.stderr)
                sys.exit(1)
            # Write the reply and flush at once, even when stdout is a pipe.
            sys.stdout.write(reply.decode("utf-8"))
            sys.stdout.flush()
    except OSError as e:                # connection reset by the server...
        print(f"client: connection error: {e}", file=sys.stderr)
        sys.exit(1)
    finally:
        sock.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
