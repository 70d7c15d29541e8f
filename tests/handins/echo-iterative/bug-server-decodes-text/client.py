#!/usr/bin/env python3
"""TP1 client echo - Emma Rousseau"""
import socket
import sys


def main():
    hote, port = sys.argv[1], int(sys.argv[2])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.connect((hote, port))
    except OSError as e:
        print(f"Erreur : connexion à {hote}:{port} impossible ({e})", file=sys.stderr)
        sys.exit(1)

    while True:
        ligne = sys.stdin.readline()
        if not ligne:
            break
        octets = ligne.encode("utf-8")
        s.sendall(octets)
        recu = b""
        while len(recu) < len(octets):
            bout = s.recv(1024)
            if not bout:
                print("Erreur : connexion fermée par le serveur", file=sys.stderr)
                sys.exit(1)
            recu += bout
        sys.stdout.write(recu.decode("utf-8"))
        sys.stdout.flush()
    s.close()


if __name__ == "__main__":
    main()
