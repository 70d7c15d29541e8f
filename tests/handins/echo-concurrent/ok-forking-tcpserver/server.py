"""TP2 - serveur echo concurrent avec socketserver.

ForkingTCPServer fait le fork() pour chaque connexion, ferme la copie de la
socket dans le pere et ramasse les fils termines (collect_children).

Yanis Mercier
"""
import socketserver
import sys


class Echo(socketserver.BaseRequestHandler):
    def handle(self):
        # on est dans le fils : la socket d'ecoute ne sert qu'au pere
        self.server.socket.close()
        try:
            while True:
                data = self.request.recv(4096)
                if not data:
                    break
                self.request.sendall(data)
        except OSError as e:
            print("client", self.client_address, ":", e, file=sys.stderr)


class Serveur(socketserver.ForkingTCPServer):
    allow_reuse_address = True


if __name__ == "__main__":
    with Serveur(("", int(sys.argv[1])), Echo) as serveur:
        serveur.serve_forever()
