# TP1 - client echo (Antoine Leroy)
import socket
import sys

hote = sys.argv[1]
port = int(sys.argv[2])

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.connect((hote, port))
except OSError as e:
    print("Erreur : connexion impossible :", e, file=sys.stderr)
    sys.exit(1)

while True:
    ligne = sys.stdin.readline()
    if not ligne:
        break
    message = ligne.encode()
    s.sendall(message)
    reponse = b""
    while len(reponse) < len(message):
        morceau = s.recv(1024)
        if not morceau:
            break
        reponse += morceau
    print(reponse.decode())

s.close()
