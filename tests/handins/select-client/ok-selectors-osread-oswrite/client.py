#!/usr/bin/env python3
"""Lab 4 - chat client using the selectors module.

Kevin Nguyen - L3 Info
"""
import os
import selectors
import socket
import sys

STDIN = 0
STDOUT = 1


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    sock = socket.create_connection((host, port))

    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    sel.register(STDIN, selectors.EVENT_READ)

    running = True
    while running:
        events = sel.select()  # no timeout -> blocks
        for key, mask in events:
            if key.fileobj is sock:
                data = sock.recv(4096)
                if not data:
                    os.write(STDOUT, b"Connection closed by server\n")
                    running = False
                    break
                os.write(STDOUT, data)  # bytes as they came
            else:
                line = os.read(STDIN, 1024)  # one line on a terminal
                if not line:  # EOF
                    running = False
                    break
                sock.sendall(line)

    sel.unregister(sock)
    sel.close()
    sock.close()


if __name__ == "__main__":
    main()
