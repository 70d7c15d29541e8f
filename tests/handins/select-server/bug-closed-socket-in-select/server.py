# TP5 - Serveur de chat
# Baptiste Morel
import select
import socket
import sys

serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
serveur.bind(("", int(sys.argv[1])))
serveur.listen(64)

entrees = [serveur]    # ce que surveille select
clients = []           # les clients a qui on relaie
tampons = {}

while True:
    lisibles, _, _ = select.select(entrees, [], [])
    for s in lisibles:
        if s is serveur:
            client, adresse = serveur.accept()
            entrees.append(client)
            clients.append(client)
            tampons[client] = b""
        else:
            try:
                donnees = s.recv(1024)
            except OSError:
                donnees = b""
            if not donnees:
                # le client est parti
                clients.remove(s)
                del tampons[s]
                s.close()
                continue
            tampons[s] += donnees
            while b"\n" in tampons[s]:
                ligne, tampons[s] = tampons[s].split(b"\n", 1)
                for c in clients:
                    if c is not s:
                        c.sendall(ligne + b"\n")
