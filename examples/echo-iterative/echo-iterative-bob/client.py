# Client echo (TP1) - Bob Dupont
import socket
import sys

if len(sys.argv) != 3:
    print("usage: python3 client.py HOST PORT", file=sys.stderr)
    sys.exit(1)

HOST = sys.argv[1]
PORT = int(sys.argv[2])

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.connect((HOST, PORT))
except OSError as e:
    print("Impossible de se connecter a", HOST, PORT, ":", e, file=sys.stderr)
    sys.exit(1)

while True:
    ligne = sys.stdin.readline()
    if ligne == "":           # fin de l'entree standard
        break
    octets = ligne.encode("utf-8")
    s.sendall(octets)
    recu = b""
    while len(recu) < len(octets):
        morceau = s.recv(4096)
        if morceau == b"":
            print("Le serveur a ferme la connexion", file=sys.stderr)
            sys.exit(1)
        recu += morceau
    sys.stdout.write(recu.decode("utf-8"))
    sys.stdout.flush()

s.close()
