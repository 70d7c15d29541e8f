# Serveur echo iteratif - TP1
# Ines Garnier

import socket
import sys

TAILLE = 2048

ecoute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ecoute.bind(("", int(sys.argv[1])))
ecoute.listen(5)

while True:
    service, client = ecoute.accept()
    try:
        while True:
            paquet = service.recv(TAILLE)
            if paquet == b"":
                break
            service.sendall(paquet)
    except ConnectionResetError:
        print("client", client, "parti brutalement")
    service.close()
