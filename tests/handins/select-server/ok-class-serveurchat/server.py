"""
TP 5 - Serveur de chat multi-clients avec select()
Binome : Chloe Martin / Lucas Petit
"""
import select
import socket
import sys


class ServeurChat:
    TAILLE_FILE = 60

    def __init__(self, port):
        self.ecoute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ecoute.bind(("", port))
        self.ecoute.listen(self.TAILLE_FILE)
        self.tampons = {}    # socket client -> bytearray

    def accepter(self):
        client, adresse = self.ecoute.accept()
        self.tampons[client] = bytearray()

    def retirer(self, client):
        if client in self.tampons:
            del self.tampons[client]
            client.close()

    def relayer(self, ligne, auteur):
        for client in list(self.tampons):
            if client != auteur:
                try:
                    client.sendall(ligne)
                except (BrokenPipeError, ConnectionResetError):
                    self.retirer(client)

    def lire(self, client):
        try:
            donnees = client.recv(2048)
        except ConnectionResetError:
            donnees = b""
        if donnees == b"":
            self.retirer(client)
            return
        tampon = self.tampons[client]
        tampon.extend(donnees)
        while True:
            avant, sep, apres = tampon.partition(b"\n")
            if not sep:
                break                      # ligne pas finie
            self.tampons[client] = tampon = bytearray(apres)
            self.relayer(bytes(avant + sep), client)

    def lancer(self):
        while True:
            a_lire = [self.ecoute] + list(self.tampons)
            prets, _, _ = select.select(a_lire, [], [])
            for s in prets:
                if s is self.ecoute:
                    self.accepter()
                elif s in self.tampons:
                    self.lire(s)


if __name__ == "__main__":
    ServeurChat(int(sys.argv[1])).lancer()
