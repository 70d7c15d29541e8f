# TP1 - Serveur d'écho itératif
# Auteur : Léa Dubois, L3 Info groupe 2
#
# Utilisation : python3 server.py PORT

import socket
import sys

TAILLE_FILE = 5
TAILLE_TAMPON = 1024


def creer_socket_ecoute(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # pour pouvoir relancer le serveur tout de suite sur le même port
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", port))
    s.listen(TAILLE_FILE)
    return s


def traiter_client(conn):
    """Renvoie au client tout ce qu'il envoie, jusqu'à ce qu'il ferme."""
    while True:
        donnees = conn.recv(TAILLE_TAMPON)
        if len(donnees) == 0:   # le client a fermé la connexion
            break
        conn.sendall(donnees)


def main():
    if len(sys.argv) != 2:
        print("Usage : python3 server.py PORT", file=sys.stderr)
        sys.exit(1)
    port = int(sys.argv[1])

    s_ecoute = creer_socket_ecoute(port)
    print("Serveur en écoute sur le port", port)

    while True:
        conn, adresse = s_ecoute.accept()
        print("Connexion de", adresse)
        try:
            traiter_client(conn)
        except OSError as erreur:
            # client qui coupe brutalement (reset) : on passe au suivant
            print("Erreur avec", adresse, ":", erreur)
        conn.close()
        print("Fin de la connexion avec", adresse)


main()
