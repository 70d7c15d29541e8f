"""Echo server, lab 1 (iterative). Carol Nguyen."""
import socket
import sys


class EchoServer:
    BACKLOG = 5
    CHUNK = 4096

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("", port))
        self.sock.listen(self.BACKLOG)

    def echo(self, conn):
        data = conn.recv(self.CHUNK)
        while data:
            conn.sendall(data)
            data = conn.recv(self.CHUNK)

    def run(self):
        while True:
            conn, peer = self.sock.accept()
            try:
                self.echo(conn)
            except OSError as exc:
                sys.stderr.write(f"{peer}: {exc}\n")
            finally:
                conn.close()


if __name__ == "__main__":
    EchoServer(int(sys.argv[1])).run()
