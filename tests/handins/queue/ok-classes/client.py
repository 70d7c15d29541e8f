"""TP3 -- client echo avec nouvelles tentatives.

Binome : Victor Caron / Lina Mathieu
"""
import socket
import sys
import time


class ClientPatient:
    DELAI = 2
    ATTENTE = 1

    def __init__(self, hote, port, nb_reessais=3):
        self.hote = hote
        self.port = port
        self.nb_reessais = nb_reessais
        self.sock = None

    def connecter(self):
        """Renvoie True si connecte, False apres 1 + nb_reessais echecs."""
        for numero in range(self.nb_reessais + 1):
            if numero > 0:
                time.sleep(self.ATTENTE)
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(self.DELAI)
            try:
                s.connect((self.hote, self.port))
            except OSError as e:
                s.close()
                sys.stderr.write(f"echec de la connexion ({numero + 1}) : {e}\n")
                continue
            s.settimeout(None)
            self.sock = s
            return True
        return False

    def echo(self, ligne):
        donnees = ligne.encode()
        self.sock.sendall(donnees)
        retour = b""
        while len(retour) < len(donnees):
            morceau = self.sock.recv(2048)
            if not morceau:
                raise ConnectionError("serveur parti")
            retour += morceau
        return retour


def main():
    nb = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    client = ClientPatient(sys.argv[1], int(sys.argv[2]), nb)
    if not client.connecter():
        sys.exit(2)
    for ligne in iter(sys.stdin.readline, ""):
        sys.stdout.buffer.write(client.echo(ligne))
        sys.stdout.buffer.flush()
    client.sock.close()
    sys.exit(0)


main()
