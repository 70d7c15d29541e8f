"""TP2 - Serveur d'echo concurrent -- Sofia Lopes

Chaque fils affiche ce que son client envoie, puis le lui renvoie.
errors="replace" pour que le serveur ne plante pas si le client envoie
des caracteres bizarres.
"""
import os
import signal
import socket
import sys


def reap(signum, frame):
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def servir(conn, addr):
    while True:
        donnees = conn.recv(1024)
        if not donnees:
            break
        texte = donnees.decode("utf-8", errors="replace")
        print(f"[fils {os.getpid()}] {addr[1]} -> {texte!r}", flush=True)
        conn.sendall(texte.encode("utf-8"))


def main():
    signal.signal(signal.SIGCHLD, reap)
    ecoute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ecoute.bind(("", int(sys.argv[1])))
    ecoute.listen(5)
    while True:
        conn, addr = ecoute.accept()
        if os.fork() == 0:
            ecoute.close()
            try:
                servir(conn, addr)
            except OSError:
                pass
            conn.close()
            os._exit(0)
        conn.close()


main()
