# TP4 - client
# Baptiste Morel
import select
import socket
import sys

serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serveur.connect((sys.argv[1], int(sys.argv[2])))

a_surveiller = [serveur, sys.stdin]

while True:
    prets, _, _ = select.select(a_surveiller, [], [])

    if serveur in prets:
        msg = serveur.recv(1024)
        if msg:
            sys.stdout.buffer.write(msg)
            sys.stdout.flush()
        else:
            print("Le serveur a fermé la connexion (Ctrl-D pour quitter)", flush=True)
            # on ne surveille plus la socket, sinon select se reveille tout le temps
            a_surveiller.remove(serveur)
            serveur.close()

    if sys.stdin in prets:
        ligne = sys.stdin.readline()
        if ligne == "":
            break
        if serveur in a_surveiller:
            serveur.sendall(ligne.encode())

if serveur in a_surveiller:
    serveur.close()
