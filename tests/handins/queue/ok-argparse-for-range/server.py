"""TP3 - serveur d'echo iteratif avec file d'attente reglable.

    python3 server.py PORT [TAILLE_FILE]

Pendant qu'un client est servi, le noyau garde au plus TAILLE_FILE
connexions en attente ; au-dela il ignore les demandes (SYN).
Auteur : Agathe Renaud
"""
import argparse
import socket


def servir(conn):
    while True:
        donnees = conn.recv(4096)
        if not donnees:
            break
        conn.sendall(donnees)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("taille_file", type=int, nargs="?", default=5)
    args = parser.parse_args()

    ecoute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ecoute.bind(("", args.port))
    ecoute.listen(args.taille_file)

    while True:
        conn, adr = ecoute.accept()
        try:
            servir(conn)
        except OSError as e:
            print("client", adr, ":", e)
        finally:
            conn.close()


if __name__ == "__main__":
    main()
