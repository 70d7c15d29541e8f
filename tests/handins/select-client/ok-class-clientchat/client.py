"""
TP 4 - Programmation reseau
Client de discussion : attend en meme temps le clavier et le serveur avec select().

Binome : Chloe Martin / Lucas Petit
"""
import codecs
import select
import socket
import sys


class ClientChat:
    def __init__(self, hote, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.connect((hote, port))
        # un message peut couper un caractere UTF-8 en deux -> decodeur incremental
        self.decodeur = codecs.getincrementaldecoder("utf-8")("replace")
        self.actif = True

    def envoyer_ligne(self):
        ligne = sys.stdin.readline()
        if not ligne:
            # fin de fichier (Ctrl-D)
            self.actif = False
            return
        self.sock.sendall(ligne.encode())

    def recevoir(self):
        data = self.sock.recv(4096)
        if not data:
            sys.stdout.write(self.decodeur.decode(b"", True))
            sys.stdout.write("[Le serveur a fermé la connexion]\n")
            sys.stdout.flush()
            self.actif = False
            return
        sys.stdout.write(self.decodeur.decode(data))
        sys.stdout.flush()

    def boucle(self):
        while self.actif:
            lisibles, _, _ = select.select([self.sock, sys.stdin], [], [])
            if self.sock in lisibles:
                self.recevoir()
            if self.actif and sys.stdin in lisibles:
                self.envoyer_ligne()
        self.sock.close()


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: client.py hote port")
    client = ClientChat(sys.argv[1], int(sys.argv[2]))
    client.boucle()
