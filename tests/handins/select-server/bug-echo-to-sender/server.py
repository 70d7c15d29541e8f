# TP5 serveur de chat
# Emma Lambert
import select
import socket
import sys

serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
serveur.bind(("", int(sys.argv[1])))
serveur.listen(64)

clients = {}   # socket -> tampon


def fermer(c):
    clients.pop(c, None)
    c.close()


while True:
    lisibles, _, _ = select.select([serveur] + list(clients), [], [])
    for s in lisibles:
        if s is serveur:
            c, _ = serveur.accept()
            clients[c] = b""
            continue
        if s not in clients:
            continue
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            fermer(s)
            continue
        # on coupe en lignes, le dernier morceau (sans \n) reste dans le tampon
        lignes = (clients[s] + data).split(b"\n")
        clients[s] = lignes.pop()
        for ligne in lignes:
            # on envoie la ligne a tout le monde
            for dest in list(clients):
                try:
                    dest.sendall(ligne + b"\n")
                except OSError:
                    fermer(dest)
