# TP2 - Serveur d'écho concurrent (un processus fils par client)
# Auteur : Manon Girard
#
# Le veilleur (processus père) attend les connexions ; pour chacune il crée
# un exécutant (processus fils) avec fork() qui fait l'écho.

import os
import signal
import socket
import sys

TAILLE_FILE = 5
TAILLE_TAMPON = 4096


def recolter_fils(signum, frame):
    """Appelé à chaque SIGCHLD : on récupère TOUS les fils terminés
    (plusieurs fils peuvent se terminer pour un seul signal)."""
    try:
        while True:
            pid, statut = os.waitpid(-1, os.WNOHANG)
            if pid == 0:        # des fils tournent encore, aucun n'est fini
                break
    except ChildProcessError:   # plus aucun fils
        pass


def executant(service):
    while True:
        donnees = service.recv(TAILLE_TAMPON)
        if not donnees:
            break
        service.sendall(donnees)


def veilleur(port):
    ecoute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ecoute.bind(("", port))
    ecoute.listen(TAILLE_FILE)

    signal.signal(signal.SIGCHLD, recolter_fils)

    while True:
        service, adresse = ecoute.accept()
        pid = os.fork()
        if pid == 0:
            # --- fils (exécutant) ---
            ecoute.close()
            try:
                executant(service)
            except OSError:
                pass            # client parti brutalement
            service.close()
            os._exit(0)
        # --- père (veilleur) ---
        service.close()         # le fils a sa propre copie


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage : python3 server.py PORT", file=sys.stderr)
        sys.exit(1)
    veilleur(int(sys.argv[1]))
