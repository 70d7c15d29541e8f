# TP5 - serveur de discussion non bloquant
# Sarah Benoit
# Toutes les sockets sont non bloquantes pour que le serveur ne reste jamais coince
import select
import socket
import sys

ecoute = socket.socket()
ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ecoute.bind(("", int(sys.argv[1])))
ecoute.listen(64)
ecoute.setblocking(False)

clients = []
recus = {}


def enlever(c):
    if c in clients:
        clients.remove(c)
        del recus[c]
        c.close()


while True:
    lisibles, _, _ = select.select([ecoute] + clients, [], [])
    for s in lisibles:
        if s is ecoute:
            c, _ = ecoute.accept()
            c.setblocking(False)
            clients.append(c)
            recus[c] = bytearray()
            continue
        if s not in clients:
            continue
        try:
            data = s.recv(4096)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        if not data:
            enlever(s)
            continue
        recus[s] += data
        while b"\n" in recus[s]:
            n = recus[s].index(b"\n") + 1
            ligne = bytes(recus[s][:n])
            del recus[s][:n]
            for autre in list(clients):
                if autre is s:
                    continue
                try:
                    autre.send(ligne)
                except BlockingIOError:
                    pass        # le client ne lit pas, tant pis
                except OSError:
                    enlever(autre)
