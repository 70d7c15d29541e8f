# server.py -- TP3, serveur echo iteratif
# Rayan Dumont

import socket

from commun import entier_arg

PORT = entier_arg(1)
FILE = entier_arg(2, 5)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", PORT))
s.listen(FILE)

while True:
    conn, addr = s.accept()
    try:
        while True:
            d = conn.recv(32768)
            if not d:
                break
            conn.sendall(d)
    except OSError:
        pass
    conn.close()
