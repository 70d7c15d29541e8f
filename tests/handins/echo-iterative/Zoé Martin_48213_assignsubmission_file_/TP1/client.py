# -*- coding: utf-8 -*-
# TP1 Programmation réseau : client echo
# MARTIN Zoé - groupe TD3

import sys
from socket import socket, AF_INET, SOCK_STREAM


def main():
    hote = sys.argv[1]
    port = int(sys.argv[2])
    s = socket(AF_INET, SOCK_STREAM)
    try:
        s.connect((hote, port))
    except OSError as erreur:  # ConnectionRefusedError en général
        sys.stderr.write(f"Erreur : connexion refusée ({erreur})\n")
        sys.exit(1)

    ligne = sys.stdin.readline()
    while ligne != "":
        envoye = ligne.encode("utf-8")
        s.sendall(envoye)
        recu = bytearray()
        while len(recu) < len(envoye):
            bloc = s.recv(4096)
            if not bloc:
                break
            recu += bloc
        sys.stdout.write(recu.decode("utf-8"))
        sys.stdout.flush()
        ligne = sys.stdin.readline()

    s.close()


if __name__ == "__main__":
    main()
