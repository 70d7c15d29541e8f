"""TP2 : serveur echo concurrent -- Romain Perrin

Le pere garde la liste de ses fils (pid -> adresse du client) pour
l'affichage ; le gestionnaire de SIGCHLD les retire quand ils se terminent.
"""
import os
import signal
import socket
import sys

from echo_outils import servir

fils_actifs = {}


def fin_de_fils(signum, frame):
    while True:
        try:
            pid, statut = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:   # aucun fils
            return
        if pid == 0:                # des fils, mais aucun de termine
            return
        fils_actifs.pop(pid, None)


def main():
    ecoute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ecoute.bind(("", int(sys.argv[1])))
    ecoute.listen(10)
    signal.signal(signal.SIGCHLD, fin_de_fils)

    while True:
        conn, adresse = ecoute.accept()
        pid = os.fork()
        if pid == 0:
            ecoute.close()
            try:
                servir(conn)
            except OSError as e:
                print("fils", os.getpid(), ":", e, file=sys.stderr)
            finally:
                conn.close()
            os._exit(0)
        fils_actifs[pid] = adresse
        conn.close()
        print(f"client {adresse} -> fils {pid} ({len(fils_actifs)} en cours)", flush=True)


main()
