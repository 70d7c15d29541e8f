"""Echo client, lab 1. Author: Maxime Lambert

Type a message, press Enter, the server sends it back. Ctrl-D to quit.
"""
import socket
import sys


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.connect((host, port))
    except OSError as err:
        print(f"Cannot connect to {host}:{port}: {err}", file=sys.stderr)
        sys.exit(1)

    while True:
        try:
            msg = input("> ")  # nicer for the user
        except EOFError:
            break
        data = (msg + "\n").encode()
        sock.sendall(data)
        reply = b""
        while len(reply) < len(data):
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
        print(reply.decode(), end="", flush=True)

    sock.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
