# TP3 Réseaux : client qui réessaie
# Élise Morel
#
# python3 client.py HOTE PORT [NB_ESSAIS]

import socket
import sys
import time

hote = sys.argv[1]
port = int(sys.argv[2])
nb_essais = int(sys.argv[3]) if len(sys.argv) >= 4 else 3

sock = None
essai = 0
while sock is None:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2.0)
    try:
        s.connect((hote, port))
        s.settimeout(None)
        sock = s
    except ConnectionRefusedError:
        print("Erreur : connexion refusée", file=sys.stderr)
    except socket.timeout:
        print("Erreur : pas de réponse du serveur (file pleine ?)", file=sys.stderr)
    if sock is None:
        s.close()
        essai += 1
        if essai > nb_essais:
            sys.exit(2)
        time.sleep(1)

while True:
    try:
        ligne = input()
    except EOFError:
        break
    donnees = (ligne + "\n").encode()
    sock.sendall(donnees)
    reponse = b""
    while len(reponse) < len(donnees):
        morceau = sock.recv(1024)
        if not morceau:  # le serveur a fermé
            break
        reponse += morceau
    print(reponse.decode(), end="")

sock.close()
