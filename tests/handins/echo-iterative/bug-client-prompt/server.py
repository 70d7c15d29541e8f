"""Echo server, lab 1. Author: Maxime Lambert"""
import socket
import sys


def serve_one(conn):
    while True:
        data = conn.recv(4096)
        if not data:
            break
        conn.sendall(data)


def main():
    port = int(sys.argv[1])
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("", port))
    srv.listen(5)
    while True:
        conn, addr = srv.accept()
        try:
            serve_one(conn)
        except ConnectionError:
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    main()
