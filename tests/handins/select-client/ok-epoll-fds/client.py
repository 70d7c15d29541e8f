# TP4 - Client de chat
# Nom: Dupont Antoine
# J'utilise epoll (Linux) au lieu de select, c'est le meme principe
import os
import select
import socket
import sys

CLAVIER = sys.stdin.fileno()
ECRAN = sys.stdout.fileno()


def ecrire_tout(fd, octets):
    # os.write peut ecrire moins que demande
    while octets:
        n = os.write(fd, octets)
        octets = octets[n:]


def main():
    try:
        serveur = socket.create_connection((sys.argv[1], int(sys.argv[2])))
    except (IndexError, ValueError):
        print("usage: client.py HOTE PORT", file=sys.stderr)
        return 1
    except OSError as err:
        print("connexion impossible:", err, file=sys.stderr)
        return 1

    ep = select.epoll()
    ep.register(serveur.fileno(), select.EPOLLIN)
    ep.register(CLAVIER, select.EPOLLIN)

    try:
        while True:
            evenements = ep.poll()  # -1 = attente infinie
            for fd, _ in evenements:
                if fd == CLAVIER:
                    texte = os.read(CLAVIER, 4096)
                    if not texte:
                        return 0          # Ctrl-D
                    serveur.sendall(texte)
                else:
                    recu = serveur.recv(4096)
                    if not recu:
                        ecrire_tout(ECRAN, "Connexion fermée par le serveur\n".encode())
                        return 0
                    ecrire_tout(ECRAN, recu)
    finally:
        ep.close()
        serveur.close()


if __name__ == "__main__":
    sys.exit(main())
