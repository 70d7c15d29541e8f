# TP3 - client echo avec reessais
# Quentin Bailly
import socket
import sys
import time

hote = sys.argv[1]
port = int(sys.argv[2])
reessais = int(sys.argv[3]) if len(sys.argv) > 3 else 3

s = None
for i in range(reessais + 1):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((hote, port))
        break
    except OSError as e:
        print("Erreur de connexion :", e, file=sys.stderr)
        s.close()
        s = None
        if i < reessais:
            time.sleep(1)

if s is None:
    sys.exit(2)
s.settimeout(None)

while True:
    ligne = sys.stdin.readline()
    if not ligne:
        break
    envoi = ligne.encode()
    s.sendall(envoi)
    recu = b""
    while len(recu) < len(envoi):
        morceau = s.recv(1024)
        if not morceau:
            sys.exit(1)
        recu += morceau
    sys.stdout.write(recu.decode())
    sys.stdout.flush()
s.close()
