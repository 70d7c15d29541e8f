#!/usr/bin/env python3
"""TP2 - serveur d'echo concurrent (fork). Dana Leroy.

The veilleur accepts connections and forks one executant per client.
"""
import os
import signal
import socket
import sys

BACKLOG = 5


def executant(conn):
    """Child side: echo until the client closes."""
    while True:
        buf = conn.recv(4096)
        if not buf:
            return
        conn.sendall(buf)


def on_sigchld(signum, frame):
    """Reap every child that has finished (several may end at once)."""
    try:
        while True:
            pid, _status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
    except ChildProcessError:
        pass


def veilleur(port):
    signal.signal(signal.SIGCHLD, on_sigchld)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", port))
    listener.listen(BACKLOG)
    while True:
        conn, peer = listener.accept()
        if os.fork() == 0:
            listener.close()
            try:
                executant(conn)
            except OSError:
                pass
            conn.close()
            os._exit(0)
        conn.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: {sys.argv[0]} PORT")
    veilleur(int(sys.argv[1]))
