# TP4 client -- Paul Mercier
# select avec un petit timeout pour que le programme reste "reactif"
import select
import socket
import sys

ATTENTE = 0.01   # secondes

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect((sys.argv[1], int(sys.argv[2])))

en_cours = True
while en_cours:
    r, w, e = select.select([sock, sys.stdin], [], [], ATTENTE)
    if not r:
        continue   # rien de nouveau, on reboucle

    if sock in r:
        donnees = sock.recv(2048)
        if donnees:
            sys.stdout.buffer.write(donnees)
            sys.stdout.buffer.flush()
        else:
            print("Le serveur a coupé la connexion.", flush=True)
            en_cours = False

    if en_cours and sys.stdin in r:
        ligne = sys.stdin.readline()
        if ligne:
            sock.sendall(ligne.encode())
        else:
            en_cours = False

sock.close()
