"""Lab 1 - iterative echo server.

Usage: python3 server.py PORT

Serves one client at a time: every byte received is sent back, in order,
until the client closes the connection; then the server accepts the next one.
"""
import socket
import sys

QUEUE_SIZE = 5      # listen() backlog: connections waiting to be accepted
BUFFER_SIZE = 4096  # maximum number of bytes read by one recv()


def serve(conn):
    """Echo everything received on conn until the client closes."""
    # BUG: a single recv() per client: only the first chunk (at most 1024
    # bytes) is echoed, the rest of the data is never read.
    data = conn.recv(1024)
    conn.sendall(data)


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} PORT", file=sys.stderr)
        sys.exit(2)
    port = int(sys.argv[1])

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Allow restarting the server at once on the same port (TIME_WAIT).
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", port))   # "" = all interfaces
    listener.listen(QUEUE_SIZE)

    while True:                 # one client at a time, forever
        conn, addr = listener.accept()
        try:
            serve(conn)
        except OSError as e:    # ConnectionResetError, BrokenPipeError, ...
            # A misbehaving client must not stop the server.
            print(f"server: client {addr}: {e}", file=sys.stderr)
        finally:
            conn.close()


if __name__ == "__main__":
    main()
