# TP5 - serveur de discussion
# Sarah Kaci
# Sockets non bloquantes : on n'envoie que quand select dit qu'on peut ecrire,
# et ce qui n'est pas parti reste dans un tampon de sortie par client.
import select
import socket
import sys

ecoute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ecoute.bind(('', int(sys.argv[1])))
ecoute.listen(64)
ecoute.setblocking(False)

clients = []
entree = {}    # client -> bytearray (ce qu'il a envoye, pas encore une ligne complete)
sortie = {}    # client -> bytearray (ce qu'il faut encore lui envoyer)


def fermer(c):
    if c in clients:
        clients.remove(c)
        del entree[c], sortie[c]
        c.close()


while True:
    a_ecrire = [c for c in clients if sortie[c]]
    lire, ecrire, _ = select.select([ecoute] + clients, a_ecrire, [])

    for c in ecrire:
        if c not in clients:
            continue
        try:
            n = c.send(sortie[c])
            del sortie[c][:n]          # on enleve seulement ce qui est vraiment parti
        except BlockingIOError:
            pass
        except OSError:
            fermer(c)

    for s in lire:
        if s is ecoute:
            try:
                nouveau, _ = ecoute.accept()
            except BlockingIOError:
                continue
            nouveau.setblocking(False)
            clients.append(nouveau)
            entree[nouveau] = bytearray()
            sortie[nouveau] = bytearray()
            continue
        if s not in clients:
            continue
        try:
            recu = s.recv(4096)
        except BlockingIOError:
            continue
        except OSError:
            recu = b''
        if not recu:
            fermer(s)
            continue
        entree[s] += recu
        fin = entree[s].rfind(b'\n')
        if fin >= 0:
            # toutes les lignes completes d'un coup, elles restent dans l'ordre
            lignes = bytes(entree[s][:fin + 1])
            del entree[s][:fin + 1]
            for autre in clients:
                if autre is not s:
                    sortie[autre] += lignes
