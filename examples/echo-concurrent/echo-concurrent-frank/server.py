# TP2 serveur echo concurrent
# Frank Muller
import os
import socket
import sys

port = int(sys.argv[1])

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("", port))
srv.listen(5)


def echo(client):
    while True:
        data = client.recv(4096)
        if not data:
            break
        client.sendall(data)


while True:
    client, addr = srv.accept()
    pid = os.fork()
    if pid == 0:
        # fils : on sert le client
        srv.close()
        try:
            echo(client)
        except OSError:
            pass
        client.close()
        os._exit(0)
    else:
        # pere : retourne attendre le client suivant
        client.close()
