#!/usr/bin/env python3
# TP1 - serveur d'echo iteratif
# Alice Martin, groupe B
import socket
import sys


def handle_client(client, address):
    """Send back everything the client sends, until it hangs up."""
    print("connected:", address)
    while True:
        chunk = client.recv(2048)
        if chunk == b"":
            break
        client.sendall(chunk)
    print("disconnected:", address)


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: server.py PORT")
    port = int(sys.argv[1])

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("", port))
        server.listen(5)
        while True:
            client, address = server.accept()
            with client:  # closes the client socket in every case
                try:
                    handle_client(client, address)
                except (ConnectionResetError, BrokenPipeError) as err:
                    print("client error:", err)


if __name__ == "__main__":
    main()
