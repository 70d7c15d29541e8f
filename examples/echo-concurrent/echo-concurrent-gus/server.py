#!/usr/bin/env python3
# Lab 2: concurrent echo server -- Gus Petit
import os
import signal
import socket
import sys

# Let the kernel reap the children for us (no zombies)
signal.signal(signal.SIGCHLD, signal.SIG_IGN)


def serve_client(sock):
    while True:
        data = sock.recv(4096)
        if not data:
            break
        sock.sendall(data)


def main():
    port = int(sys.argv[1])
    listen_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listen_sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listen_sock.bind(("", port))
    listen_sock.listen(5)
    while True:
        sock, _ = listen_sock.accept()
        pid = os.fork()
        if pid == 0
            listen_sock.close()
            try:
                serve_client(sock)
            except OSError:
                pass
            sock.close()
            os._exit(0)
        sock.close()


main()
