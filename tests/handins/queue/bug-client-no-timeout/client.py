# TP3 client echo - Marine Guerin
import socket
import sys
import time

hote = sys.argv[1]
port = int(sys.argv[2])
nb_reessais = 3
if len(sys.argv) == 4:
    nb_reessais = int(sys.argv[3])

connecte = False
essai = 0
while not connecte:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.connect((hote, port))
        connecte = True
    except OSError as e:
        print("Erreur : connexion impossible (" + str(e) + ")", file=sys.stderr)
        s.close()
        essai += 1
        if essai > nb_reessais:
            sys.exit(2)
        time.sleep(1)

while True:
    ligne = sys.stdin.readline()
    if not ligne:
        break
    s.sendall(ligne.encode())
    attendu = len(ligne.encode())
    recu = b""
    while len(recu) < attendu:
        bout = s.recv(4096)
        if not bout:
            sys.exit(1)
        recu += bout
    sys.stdout.write(recu.decode())
    sys.stdout.flush()
s.close()
