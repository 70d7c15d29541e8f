# TP2 - serveur echo concurrent
# Baptiste Lemoine
import os
import signal
import socket
import sys

TAILLE = 4096


def recuperer_fils(sig, frame):
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def echo(client):
    """Service d'echo pour un client ; renvoie quand le client a fini."""
    try:
        while True:
            msg = client.recv(TAILLE)
            if not msg:
                break
            client.sendall(msg)
    except OSError:
        pass
    client.close()


signal.signal(signal.SIGCHLD, recuperer_fils)
serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
serveur.bind(("", int(sys.argv[1])))
serveur.listen(5)

while True:
    client, adresse = serveur.accept()
    pid = os.fork()
    if pid == 0:
        # processus fils : il s'occupe du client
        echo(client)
    else:
        # processus pere : il ferme sa copie et attend le client suivant
        client.close()
