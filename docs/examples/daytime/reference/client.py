"""The course's client (students do not write it): prints what the server sends, until it closes.

Usage: python3 client.py HOST PORT
"""
import socket
import sys


def main():
    with socket.create_connection((sys.argv[1], int(sys.argv[2]))) as sock:
        while data := sock.recv(4096):  # b"": the server closed the connection
            sys.stdout.buffer.write(data)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
