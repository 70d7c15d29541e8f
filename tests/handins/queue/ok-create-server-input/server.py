# TP3 Réseaux : file d'attente du serveur
# Élise Morel
#
# python3 server.py PORT [TAILLE_FILE]

import socket
import sys

port = int(sys.argv[1])
if len(sys.argv) >= 3:
    taille_file = int(sys.argv[2])
else:
    taille_file = 5

# create_server() = socket + SO_REUSEADDR + bind + listen(backlog)
serveur = socket.create_server(("", port), backlog=taille_file)
print(f"écoute sur {port}, file de {taille_file}")

while True:
    client, adresse = serveur.accept()
    print("je sers", adresse)
    with client:
        try:
            while True:
                recu = client.recv(1024)
                if not recu:
                    break
                client.sendall(recu)
        except OSError as erreur:
            print("problème avec", adresse, ":", erreur)
