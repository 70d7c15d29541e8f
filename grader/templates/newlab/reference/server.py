"""The course's correct solution: an iterative echo server.

Usage: python3 server.py PORT
"""
import socket
import sys


def main():
    port = int(sys.argv[1])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", port))
    listener.listen(5)
    while True:  # one client at a time
        conn, _ = listener.accept()
        with conn:
            while data := conn.recv(4096):  # b"": the client closed its side
                conn.sendall(data)


if __name__ == "__main__":
    main()
