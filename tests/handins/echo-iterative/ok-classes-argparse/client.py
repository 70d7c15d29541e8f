"""TP1 : client d'echo, version objet.

Binome : Mehdi Benali / Sarah Cohen
"""
import argparse
import socket
import sys


class ClientEcho:
    def __init__(self, hote, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.connect((hote, port))

    def echanger(self, ligne):
        """Envoie une ligne et renvoie l'echo complet (meme en plusieurs morceaux)."""
        a_envoyer = ligne.encode("utf-8")
        self.sock.sendall(a_envoyer)
        morceaux = []
        restant = len(a_envoyer)
        while restant > 0:
            m = self.sock.recv(restant)
            if not m:
                raise ConnectionError("le serveur a ferme la connexion")
            morceaux.append(m)
            restant -= len(m)
        return b"".join(morceaux)

    def fermer(self):
        self.sock.close()


def main():
    parser = argparse.ArgumentParser(description="Client d'echo")
    parser.add_argument("hote")
    parser.add_argument("port", type=int)
    args = parser.parse_args()

    try:
        client = ClientEcho(args.hote, args.port)
    except OSError as e:
        print(f"client : impossible de se connecter a {args.hote}:{args.port} : {e}", file=sys.stderr)
        return 1

    try:
        while True:
            ligne = sys.stdin.readline()
            if not ligne:
                break
            sys.stdout.buffer.write(client.echanger(ligne))
            sys.stdout.flush()
    except OSError as e:
        print(f"client : erreur reseau : {e}", file=sys.stderr)
        return 1
    finally:
        client.fermer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
