"""The course's correct solution: a daytime server.

Usage: python3 server.py PORT
Each client receives the current date and time in UTC, as one line (2025-03-14 09:26:53),
then the server closes the connection and waits for the next client.
"""
import socket
import sys
from datetime import UTC, datetime


def main():
    port = int(sys.argv[1])
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", port))
    listener.listen(5)
    while True:  # one client after another
        conn, _ = listener.accept()
        with conn:  # closed at the end of the block: the client sees the end of the stream
            now = datetime.now(UTC)
            conn.sendall(now.strftime("%Y-%m-%d %H:%M:%S\n").encode())


if __name__ == "__main__":
    main()
