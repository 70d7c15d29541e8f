"""TP1 : serveur d'echo iteratif, version objet.

Binome : Mehdi Benali / Sarah Cohen
"""
import argparse
import socket


class ServeurEcho:
    TAILLE_BLOC = 512

    def __init__(self, port, file_attente=5):
        self.ecoute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ecoute.bind(("", port))
        self.ecoute.listen(file_attente)

    @staticmethod
    def envoyer_tout(conn, donnees):
        # send() peut n'envoyer qu'une partie : on recommence avec le reste
        total = 0
        while total < len(donnees):
            n = conn.send(donnees[total:])
            if n == 0:
                raise ConnectionError("connexion cassee")
            total += n

    def servir(self, conn):
        while True:
            bloc = conn.recv(self.TAILLE_BLOC)
            if not bloc:
                return
            self.envoyer_tout(conn, bloc)

    def lancer(self):
        while True:
            conn, adr = self.ecoute.accept()
            try:
                self.servir(conn)
            except OSError as e:
                print(f"[serveur] {adr} : {e}")
            finally:
                conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Serveur d'echo iteratif")
    parser.add_argument("port", type=int)
    args = parser.parse_args()
    ServeurEcho(args.port).lancer()
