# -*- coding: utf-8 -*-
#
#  TP5 : serveur de chat avec select()
#  Léa Dubois - L3 MIAGE
#
#  usage : python3 server.py 5000
#
import socket
import select
import sys

TAILLE_BUFFER = 4096


def creer_socket_ecoute(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", port))
    s.listen(60)
    return s


def main():
    if len(sys.argv) != 2:
        print("usage : server.py PORT", file=sys.stderr)
        sys.exit(1)
    sock_ecoute = creer_socket_ecoute(int(sys.argv[1]))
    liste_clients = []
    messages_en_cours = {}

    while True:
        a_lire, _, _ = select.select([sock_ecoute] + liste_clients, [], [])
        for s in a_lire:
            if s == sock_ecoute:
                client, adr = sock_ecoute.accept()
                print("Connexion de", adr)
                liste_clients.append(client)
                messages_en_cours[client] = bytearray()
            elif s in liste_clients:
                try:
                    data = s.recv(TAILLE_BUFFER)
                except OSError:
                    data = b""
                if len(data) == 0:
                    print("Déconnexion d'un client")
                    liste_clients.remove(s)
                    del messages_en_cours[s]
                    s.close()
                    continue
                messages_en_cours[s] += data
                # on cherche les lignes completes
                pos = messages_en_cours[s].find(b"\n")
                while pos != -1:
                    ligne = bytes(messages_en_cours[s][:pos + 1])
                    messages_en_cours[s] = messages_en_cours[s][pos + 1:]
                    for autre in list(liste_clients):
                        if autre is s:
                            continue
                        try:
                            autre.sendall(ligne)
                        except OSError:
                            liste_clients.remove(autre)
                            del messages_en_cours[autre]
                            autre.close()
                    pos = messages_en_cours[s].find(b"\n")


if __name__ == "__main__":
    main()
