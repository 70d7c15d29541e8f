# Serveur echo (TP1) - Bob Dupont
import socket
import sys

PORT = int(sys.argv[1])

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", PORT))
s.listen(5)
print("Serveur en ecoute sur le port", PORT)

while True:
    conn, addr = s.accept()
    print("Nouveau client :", addr)
    try:
        msg = conn.recv(1024)   # receive the client's message
        conn.send(msg)          # and send it back
    except OSError as e:
        print("Erreur :", e)
    conn.close()
