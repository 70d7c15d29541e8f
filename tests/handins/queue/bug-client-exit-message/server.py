"""TP3 - serveur (Lou Perrot)"""
import socket
import sys


def main():
    port = int(sys.argv[1])
    backlog = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as ecoute:
        ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ecoute.bind(("", port))
        ecoute.listen(backlog)
        while True:
            conn, _ = ecoute.accept()
            with conn:
                try:
                    while data := conn.recv(4096):
                        conn.sendall(data)
                except ConnectionError:
                    pass


main()
