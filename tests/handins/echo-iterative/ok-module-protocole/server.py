"""Serveur d'echo iteratif : renvoie les octets un par un.

Groupe 4 : Chloé Fontaine, Julien Moreau
"""
import socket
import sys

from protocole import envoyer, erreur, socket_tcp

if len(sys.argv) != 2:
    erreur("usage : python3 server.py PORT", 2)

veilleur = socket_tcp()
veilleur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
veilleur.bind(("", int(sys.argv[1])))
veilleur.listen(5)

while True:
    service, adresse_client = veilleur.accept()
    try:
        # octet par octet : lent mais l'ordre et le contenu sont garantis
        while True:
            octet = service.recv(1)
            if not octet:
                break
            envoyer(service, octet)
    except OSError as e:
        print("client", adresse_client, "perdu :", e, file=sys.stderr)
    finally:
        service.close()
