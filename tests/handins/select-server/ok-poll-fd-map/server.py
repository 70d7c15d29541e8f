# TP5 serveur chat - version poll()
# Ines Benali
import select
import socket
import sys

from lignes import couper_lignes

ecoute = socket.socket()
ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ecoute.bind(("", int(sys.argv[1])))
ecoute.listen(64)

p = select.poll()
p.register(ecoute.fileno(), select.POLLIN)

clients = {}    # fd -> socket
restes = {}     # fd -> bout de ligne incomplet


def retirer(fd):
    p.unregister(fd)
    clients.pop(fd).close()
    del restes[fd]


while True:
    for fd, evenement in p.poll():
        if fd == ecoute.fileno():
            c, _ = ecoute.accept()
            clients[c.fileno()] = c
            restes[c.fileno()] = b""
            p.register(c.fileno(), select.POLLIN)
            continue
        if fd not in clients:
            continue          # deja retire pendant ce tour
        try:
            recu = clients[fd].recv(4096)
        except OSError:
            recu = b""
        if not recu:
            retirer(fd)
            continue
        lignes, restes[fd] = couper_lignes(restes[fd] + recu)
        for ligne in lignes:
            for autre in list(clients):
                if autre != fd:
                    try:
                        clients[autre].sendall(ligne)
                    except OSError:
                        retirer(autre)
