#!/usr/bin/env python3
# Lab 4 chat client - Nathan Roux
import select
import socket
import sys

if len(sys.argv) != 3:
    print("usage: client.py host port")
    sys.exit(1)

s = socket.socket()
s.connect((sys.argv[1], int(sys.argv[2])))

inputs = [s, sys.stdin]
while True:
    readable, _, _ = select.select(inputs, [], [])
    for r in readable:
        if r is s:
            data = s.recv(1024)
            if not data:
                print("Server closed the connection.")
                s.close()
                sys.exit(0)
            sys.stdout.write(data.decode("utf-8"))
            sys.stdout.flush()
        else:
            msg = sys.stdin.readline()
            if msg == "":
                s.close()
                sys.exit(0)
            s.sendall(msg.encode("utf-8"))
