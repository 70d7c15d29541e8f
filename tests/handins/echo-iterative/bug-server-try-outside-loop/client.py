# TP1 - client d'echo
# Nicolas Faure, groupe 1
import socket
import sys

HOTE = sys.argv[1]
PORT = int(sys.argv[2])

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    sock.connect((HOTE, PORT))
except OSError as e:
    print("Erreur : connexion refusée :", e, file=sys.stderr)
    sys.exit(1)

while True:
    ligne = sys.stdin.readline()
    if len(ligne) == 0:
        break
    envoi = ligne.encode()
    sock.sendall(envoi)
    recu = b""
    while len(recu) < len(envoi):
        morceau = sock.recv(1024)
        if not morceau:
            print("Erreur : le serveur a fermé la connexion", file=sys.stderr)
            sys.exit(1)
        recu += morceau
    sys.stdout.write(recu.decode())
    sys.stdout.flush()

sock.close()
