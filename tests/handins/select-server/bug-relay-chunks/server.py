#!/usr/bin/env python3
# Lab 5 - chat server
# Julien Fabre
import select
import socket
import sys

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("", int(sys.argv[1])))
listener.listen(64)

sockets = [listener]

while True:
    readable, _, _ = select.select(sockets, [], [])
    for sock in readable:
        if sock is listener:
            conn, addr = listener.accept()
            sockets.append(conn)
            continue
        try:
            msg = sock.recv(1024)
        except OSError:
            msg = b""
        if not msg:
            sockets.remove(sock)
            sock.close()
            continue
        # forward the message to the other clients
        for other in sockets:
            if other is not listener and other is not sock:
                try:
                    other.sendall(msg)
                except OSError:
                    pass
