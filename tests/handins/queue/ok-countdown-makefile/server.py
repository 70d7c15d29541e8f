#!/usr/bin/env python3
# Lab 3 -- iterative echo server, configurable backlog
# Samuel Brun
import socket
import sys

DEFAULT_BACKLOG = 5


def main(argv):
    port = int(argv[1])
    backlog = int(argv[2]) if len(argv) == 3 else DEFAULT_BACKLOG

    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("", port))
    srv.listen(backlog)  # the kernel queues at most this many clients while we are busy

    while True:
        conn, addr = srv.accept()
        try:
            # one byte at a time: the echo follows the input exactly
            byte = conn.recv(1)
            while byte:
                conn.sendall(byte)
                byte = conn.recv(1)
        except socket.error as e:
            sys.stderr.write("%s: %s\n" % (addr, e))
        conn.close()


if __name__ == "__main__":
    main(sys.argv)
