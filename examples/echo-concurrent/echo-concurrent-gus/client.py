#!/usr/bin/env python3
# Lab 2: echo client -- Gus Petit
import socket
import sys


def main():
    if len(sys.argv) != 3:
        print("usage: client.py HOST PORT", file=sys.stderr)
        sys.exit(2)
    server = (sys.argv[1], int(sys.argv[2]))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.connect(server)
    except OSError as err:
        print(f"cannot connect to {server[0]}:{server[1]}: {err}", file=sys.stderr)
        sys.exit(1)
    while True:
        text = sys.stdin.readline()
        if text == "":
            break
        raw = text.encode("utf-8")
        sock.sendall(raw)
        got = bytearray()
        while len(got) < len(raw):
            piece = sock.recv(4096)
            if not piece:
                print("server closed the connection", file=sys.stderr)
                sys.exit(1)
            got += piece
        sys.stdout.write(got.decode("utf-8"))
        sys.stdout.flush()
    sock.close()


main()
