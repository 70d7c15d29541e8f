#!/usr/bin/env python3
"""Lab 2: concurrent echo server (fork).  Author: Adam Roussel

The parent accepts, the child echoes. Dead children are collected
in the SIGCHLD handler so they do not stay zombies.
"""
import os
import signal
import socket
import sys


def child_died(signum, frame):
    os.wait()  # collect the child that sent us SIGCHLD


def serve(conn):
    while True:
        data = conn.recv(4096)
        if not data:
            break
        conn.sendall(data)


def main():
    port = int(sys.argv[1])
    signal.signal(signal.SIGCHLD, child_died)

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("", port))
    server.listen(5)

    while True:
        conn, addr = server.accept()
        pid = os.fork()
        if pid == 0:
            server.close()
            try:
                serve(conn)
            except OSError:
                pass
            finally:
                conn.close()
            os._exit(0)
        conn.close()


if __name__ == "__main__":
    main()
