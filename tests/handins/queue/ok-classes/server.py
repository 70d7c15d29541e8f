"""TP3 -- serveur echo iteratif, taille de file en parametre.

Binome : Victor Caron / Lina Mathieu
"""
import socket
import sys


class ServeurIteratif:
    def __init__(self, port, taille_file=5):
        self.taille_file = taille_file
        self.ecoute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ecoute.bind(("", port))
        self.ecoute.listen(self.taille_file)

    def tout_envoyer(self, conn, data):
        while data:
            n = conn.send(data)
            data = data[n:]

    def servir_un_client(self, conn):
        while True:
            data = conn.recv(256)
            if not data:
                break
            self.tout_envoyer(conn, data)

    def demarrer(self):
        while True:
            conn, adresse = self.ecoute.accept()   # les clients sortent de la file dans l'ordre
            try:
                self.servir_un_client(conn)
            except OSError:
                pass
            finally:
                conn.close()


if __name__ == "__main__":
    if len(sys.argv) == 3:
        ServeurIteratif(int(sys.argv[1]), int(sys.argv[2])).demarrer()
    else:
        ServeurIteratif(int(sys.argv[1])).demarrer()
