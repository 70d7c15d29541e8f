# TP2 - serveur d'écho concurrent
# Les fils terminés ne deviennent pas des zombies : on ignore SIGCHLD, le noyau les récupère.
import os
import signal
import socket
import sys

signal.signal(signal.SIGCHLD, signal.SIG_IGN)

port = int(sys.argv[1])
veilleur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
veilleur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
veilleur.bind(("", port))
veilleur.listen(5)

while True:
    conn, adresse = veilleur.accept()
    if os.fork() == 0:                 # le fils (exécutant)
        veilleur.close()
        try:
            while True:
                donnees = conn.recv(2048)
                if not donnees:
                    break
                conn.sendall(donnees)
        except OSError as erreur:
            print("exécutant :", erreur, file=sys.stderr)
        conn.close()
        os._exit(0)
    conn.close()                        # le père (veilleur) ne garde pas la connexion
