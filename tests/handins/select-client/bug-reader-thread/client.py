"""TP4 - client chat.
Lea Fournier
Un thread ecoute le serveur pendant que le programme principal lit le clavier.
"""
import os
import socket
import sys
import threading


def ecoute(sock):
    while True:
        data = sock.recv(1024)
        if not data:
            print("Le serveur a fermé la connexion.", flush=True)
            os._exit(0)        # sys.exit ne quitte que le thread
        sys.stdout.buffer.write(data)
        sys.stdout.flush()


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.connect((sys.argv[1], int(sys.argv[2])))

    t = threading.Thread(target=ecoute, args=(sock,), daemon=True)
    t.start()

    for ligne in sys.stdin:
        sock.sendall(ligne.encode())
    # Ctrl-D
    sock.close()
    sys.exit(0)


main()
