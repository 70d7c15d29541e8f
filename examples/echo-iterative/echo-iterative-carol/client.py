"""Echo client, lab 1. Carol Nguyen."""
import socket
import sys


def read_reply(sock, expected):
    reply = b""
    while len(reply) < expected:
        data = sock.recv(expected - len(reply))
        if not data:
            raise ConnectionError("server closed the connection")
        reply += data
    return reply


def main(host, port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect((host, port))
    for line in iter(sys.stdin.readline, ""):
        data = line.encode("utf-8")
        sock.sendall(data)
        sys.stdout.write(read_reply(sock, len(data)).decode("utf-8"))
        sys.stdout.flush()
    sock.close()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
