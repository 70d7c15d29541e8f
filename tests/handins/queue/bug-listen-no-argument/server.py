# TP3 - serveur echo iteratif
# Quentin Bailly
import socket
import sys

port = int(sys.argv[1])
taille_file = int(sys.argv[2]) if len(sys.argv) > 2 else 5
print("taille de la file :", taille_file)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", port))
s.listen()  # la file d'attente

while True:
    conn, adr = s.accept()
    try:
        while True:
            donnees = conn.recv(1024)
            if not donnees:
                break
            conn.sendall(donnees)
    except OSError:
        pass
    conn.close()
