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
    while True:
        data = conn.recv(BUFFER_SIZE)
        if not data:            # b"" : the client closed its side
            break
        conn.sendall(data)      # sendall loops until every byte is sent


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
        # BUG: no try/except: a ConnectionResetError raised by recv() when
        # a client resets the connection kills the whole server.
        serve(conn)
        conn.close()


if __name__ == "__main__":
    main()
