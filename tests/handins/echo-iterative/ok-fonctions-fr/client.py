# TP1 - Client d'écho
# Auteur : Léa Dubois, L3 Info groupe 2
#
# Utilisation : python3 client.py HOTE PORT

import socket
import sys

TAILLE_TAMPON = 1024


def recevoir_exactement(s, nb_octets):
    """La réponse peut arriver en plusieurs morceaux : on boucle."""
    recu = b""
    while len(recu) < nb_octets:
        morceau = s.recv(TAILLE_TAMPON)
        if not morceau:
            break
        recu += morceau
    return recu


def main():
    if len(sys.argv) != 3:
        print("Usage : python3 client.py HOTE PORT", file=sys.stderr)
        sys.exit(1)
    hote = sys.argv[1]
    port = int(sys.argv[2])

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.connect((hote, port))
    except OSError as erreur:
        print(f"Erreur : connexion refusée par {hote}:{port} ({erreur})", file=sys.stderr)
        sys.exit(1)

    while True:
        ligne = sys.stdin.readline()
        if ligne == "":         # fin de l'entrée standard (Ctrl-D)
            break
        octets = ligne.encode("utf-8")
        s.sendall(octets)
        reponse = recevoir_exactement(s, len(octets))
        sys.stdout.write(reponse.decode("utf-8"))
        sys.stdout.flush()

    s.close()
    sys.exit(0)


main()
