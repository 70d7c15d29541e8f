#!/usr/bin/env python3
# Chat client (lab 4) -- Alexandre Blanc
import select
import socket
import sys

BUFSIZE = 1024


def run(host, port):
    conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    conn.connect((host, port))
    while True:
        rd, _, _ = select.select([conn, sys.stdin], [], [])
        if sys.stdin in rd:
            line = sys.stdin.readline()
            if line == "":
                break
            message = line.strip()          # remove the newline
            conn.sendall(message.encode())
        if conn in rd:
            data = conn.recv(BUFSIZE)
            if not data:
                print("Connection closed by the server")
                break
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
    conn.close()


if __name__ == "__main__":
    run(sys.argv[1], int(sys.argv[2]))
