# commun.py -- ce qui sert au client et au serveur du TP3
# Rayan Dumont

import sys


def entier_arg(position, defaut=None):
    """sys.argv[position] en entier, ou defaut s'il est absent."""
    if len(sys.argv) > position:
        return int(sys.argv[position])
    if defaut is None:
        print(f"argument {position} manquant", file=sys.stderr)
        sys.exit(1)
    return defaut


def recevoir_n(sock, n):
    morceaux = []
    while n > 0:
        m = sock.recv(min(n, 32768))
        if m == b"":
            raise ConnectionError("connexion fermee par le serveur")
        morceaux.append(m)
        n -= len(m)
    return b"".join(morceaux)
