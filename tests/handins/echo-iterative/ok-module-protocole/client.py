"""Client d'echo : envoie chaque ligne tapee et affiche l'echo.

Groupe 4 : Chloé Fontaine, Julien Moreau
"""
import sys

from protocole import envoyer, erreur, recevoir, socket_tcp

if len(sys.argv) != 3:
    erreur("usage : python3 client.py HOTE PORT", 2)

hote, port = sys.argv[1], int(sys.argv[2])
sock = socket_tcp()
try:
    sock.connect((hote, port))
except OSError as e:
    erreur(f"Erreur : impossible de joindre {hote}:{port} ({e.strerror})", 1)

while True:
    ligne = sys.stdin.readline()
    if not ligne:
        break
    donnees = ligne.encode()
    envoyer(sock, donnees)
    echo = recevoir(sock, len(donnees))
    if len(echo) < len(donnees):
        erreur("Erreur : le serveur a ferme la connexion", 1)
    print(echo.decode(), end="", flush=True)

sock.close()
