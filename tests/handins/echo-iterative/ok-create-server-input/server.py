#!/usr/bin/env python3
# Serveur echo iteratif (TP1 Reseaux) -- Thomas Girard
# lancement : python3 server.py 5000

import socket
import sys

port = int(sys.argv[1])

# create_server fait socket() + setsockopt(SO_REUSEADDR) + bind() + listen()
with socket.create_server(("", port), backlog=5) as serveur:
    while True:
        client, addr = serveur.accept()
        with client:  # le with ferme la connexion a la fin, meme en cas d'erreur
            try:
                while True:
                    msg = client.recv(65536)
                    if msg == b"":
                        break
                    client.sendall(msg)
            except (ConnectionResetError, BrokenPipeError):
                print("le client", addr, "a coupe la connexion")
