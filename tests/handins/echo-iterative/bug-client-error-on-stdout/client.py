# Client echo - TP1
# Ines Garnier

import socket
import sys

TAILLE = 2048

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
except ConnectionRefusedError:
    print("Erreur : connexion refusée par le serveur")
    sys.exit(1)

for ligne in sys.stdin:
    a_envoyer = ligne.encode("utf-8")
    s.sendall(a_envoyer)
    recu = b""
    while len(recu) < len(a_envoyer):
        paquet = s.recv(TAILLE)
        if paquet == b"":
            break
        recu += paquet
    sys.stdout.write(recu.decode("utf-8"))
    sys.stdout.flush()

s.close()
