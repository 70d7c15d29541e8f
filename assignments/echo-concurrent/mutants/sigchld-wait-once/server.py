"""Lab 2 - concurrent echo server (one process per client).

Usage: python3 server.py PORT

The parent process (the "veilleur") only accepts connections and forks
one child (an "executant") per client. The child echoes every byte it
receives until its client closes, then exits. The parent reaps its
finished children on SIGCHLD, so no zombies accumulate.
"""
import os
import signal
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


def reap_children(signum, frame):
    """SIGCHLD handler: collect every finished child (no zombies).

    Several children may end while one signal is pending, so loop
    until no finished child is left.
    """
    # BUG: one wait() per signal; signals of children that end together merge into one
    try:
        os.wait()
    except ChildProcessError:
        pass


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} PORT", file=sys.stderr)
        sys.exit(2)
    port = int(sys.argv[1])

    signal.signal(signal.SIGCHLD, reap_children)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Allow restarting the server at once on the same port (TIME_WAIT).
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", port))   # "" = all interfaces
    listener.listen(QUEUE_SIZE)

    while True:
        # accept() interrupted by SIGCHLD is retried by Python (PEP 475).
        conn, addr = listener.accept()
        pid = os.fork()
        if pid == 0:
            # Child (executant): serves this client only.
            listener.close()        # the listening socket is the parent's job
            try:
                serve(conn)
            except OSError as e:    # ConnectionResetError, BrokenPipeError, ...
                print(f"server: client {addr}: {e}", file=sys.stderr)
            finally:
                conn.close()
            os._exit(0)             # never go back to the accept loop
        # Parent (veilleur): the child has its own copy of conn.
        conn.close()


if __name__ == "__main__":
    main()
