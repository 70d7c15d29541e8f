# TP5 - Serveur de chat avec select
# Auteur : Thomas Girard (TD2)
import select
import socket
import sys

port = int(sys.argv[1])

serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
serveur.bind(("", port))
serveur.listen(50)

sockets = [serveur]     # tout ce que select doit surveiller
tampons = {}            # socket client -> octets recus pas encore relayes


def deconnecter(s):
    sockets.remove(s)
    del tampons[s]
    s.close()


def diffuser(message, expediteur):
    for s in sockets[:]:
        if s is serveur or s is expediteur or s not in tampons:
            continue
        try:
            s.sendall(message)
        except OSError:
            deconnecter(s)


while True:
    lisibles, _, _ = select.select(sockets, [], [])
    for s in lisibles:
        if s is serveur:
            nouveau, adresse = serveur.accept()
            sockets.append(nouveau)
            tampons[nouveau] = b""
        elif s in tampons:                # peut avoir ete enleve par diffuser()
            try:
                donnees = s.recv(1024)
            except ConnectionError:
                donnees = b""
            if not donnees:
                deconnecter(s)
                continue
            morceaux = (tampons[s] + donnees).split(b"\n")
            # le dernier morceau n'a pas encore son \n : on le garde pour plus tard
            tampons[s] = morceaux.pop()
            for ligne in morceaux:
                diffuser(ligne + b"\n", s)
