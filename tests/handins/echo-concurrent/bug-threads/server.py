"""TP2 - serveur echo concurrent.

Plutot que fork(), j'utilise des threads : c'est plus leger et il n'y a pas
de zombies a gerer.   -- Theo Marchand
"""
import socket
import sys
import threading


def gerer_client(conn, adresse):
    with conn:
        try:
            while True:
                donnees = conn.recv(4096)
                if not donnees:
                    break
                conn.sendall(donnees)
        except OSError as e:
            print(adresse, e, file=sys.stderr)


def main():
    serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    serveur.bind(("", int(sys.argv[1])))
    serveur.listen(5)
    while True:
        conn, adresse = serveur.accept()
        t = threading.Thread(target=gerer_client, args=(conn, adresse), daemon=True)
        t.start()


if __name__ == "__main__":
    main()
