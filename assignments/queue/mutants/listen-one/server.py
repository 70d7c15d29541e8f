"""Lab 3 - iterative echo server with a configurable listen queue.

Usage: python3 server.py PORT [QUEUE_SIZE]

The same server as in lab 1: it serves one client at a time, sending back
every byte received, in order, until the client closes; then it accepts
the next one. The only change: the listen() backlog comes from the
command line (default 5).

While the server is busy with one client, the kernel itself completes the
TCP handshake of the next clients and keeps them in the listen queue
(the "accept queue"). When that queue is full, the kernel silently drops
new connection requests (SYN): those clients are not established and
their connect() waits (the kernel retries the SYN about every second).
accept() takes connections from the queue in arrival order (FIFO), so
queued clients are served first come, first served: there is nothing
special to program for that.
"""
import socket
import sys

DEFAULT_QUEUE_SIZE = 5  # listen() backlog when argv[2] is not given
BUFFER_SIZE = 4096      # maximum number of bytes read by one recv()


def serve(conn):
    """Echo everything received on conn until the client closes."""
    while True:
        data = conn.recv(BUFFER_SIZE)
        if not data:            # b"" : the client closed its side
            break
        conn.sendall(data)      # sendall loops until every byte is sent


def main():
    if len(sys.argv) not in (2, 3):
        print(f"usage: {sys.argv[0]} PORT [QUEUE_SIZE]", file=sys.stderr)
        sys.exit(2)
    port = int(sys.argv[1])
    queue_size = int(sys.argv[2]) if len(sys.argv) == 3 else DEFAULT_QUEUE_SIZE

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Allow restarting the server at once on the same port (TIME_WAIT).
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", port))   # "" = all interfaces
    # The backlog: how many established connections the kernel may keep
    # waiting for accept(). (Linux actually admits backlog + 1 of them;
    # `ss -ltn` shows the backlog in the Send-Q column of the LISTEN row
    # and the number of connections waiting in the Recv-Q column.)
    # BUG: "one client at a time, so a queue of one": the backlog is always
    # 1 (the kernel then admits 2 waiting clients), whatever QUEUE_SIZE says.
    listener.listen(1)

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
