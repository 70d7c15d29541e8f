# TP1 - serveur echo (Antoine Leroy)
import socket
import sys

port = int(sys.argv[1])
serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
serveur.bind(("", port))
serveur.listen(5)

while True:
    conn, addr = serveur.accept()
    try:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(data)
    except OSError:
        pass  # le client a coupé, tant pis
    conn.close()
