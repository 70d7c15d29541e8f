"""TP2 - Serveur d'echo concurrent (version orientee objet).

Binome : Clara Vincent / Hugo Blanc
"""
import argparse
import os
import signal
import socket


class ServeurConcurrent:
    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("", port))
        self.sock.listen(5)
        signal.signal(signal.SIGCHLD, self.ramasser_zombies)

    @staticmethod
    def ramasser_zombies(signum, frame):
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break

    @staticmethod
    def envoyer(conn, donnees):
        deja_envoye = 0
        while deja_envoye < len(donnees):
            deja_envoye += conn.send(donnees[deja_envoye:])

    def executant(self, conn):
        self.sock.close()
        code = 0
        try:
            while True:
                donnees = conn.recv(512)
                if not donnees:
                    break
                self.envoyer(conn, donnees)
        except OSError:
            code = 1
        finally:
            conn.close()
            os._exit(code)

    def boucle(self):
        while True:
            conn, _ = self.sock.accept()
            pid = os.fork()
            if pid == 0:
                self.executant(conn)  # ne revient jamais (os._exit)
            conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="serveur d'echo concurrent")
    parser.add_argument("port", type=int, help="port d'ecoute")
    ServeurConcurrent(parser.parse_args().port).boucle()
