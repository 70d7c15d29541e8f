#!/usr/bin/env python3
# Client echo (TP1 Reseaux) -- Thomas Girard
# lancement : python3 client.py localhost 5000

import socket
import sys

hote = sys.argv[1]
port = int(sys.argv[2])

try:
    sock = socket.create_connection((hote, port))
except ConnectionRefusedError:
    print("Erreur : connexion refusée, le serveur est-il lancé ?", file=sys.stderr)
    sys.exit(1)
except OSError as e:
    print("Erreur :", e, file=sys.stderr)
    sys.exit(1)

with sock:
    while True:
        try:
            ligne = input()
        except EOFError:  # Ctrl-D
            break
        envoi = (ligne + "\n").encode()
        sock.sendall(envoi)
        # on attend d'avoir recu autant d'octets qu'on en a envoye
        retour = b""
        while len(retour) < len(envoi):
            bout = sock.recv(1024)
            if not bout:
                break
            retour += bout
        print(retour.decode(), end="")

sys.exit(0)
