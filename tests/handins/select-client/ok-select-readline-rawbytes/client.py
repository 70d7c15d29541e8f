# TP4 - client de chat avec select
# Auteur : Thomas Girard (groupe TD2)
import socket
import select
import sys

if len(sys.argv) != 3:
    print("usage : python3 client.py HOTE PORT", file=sys.stderr)
    sys.exit(1)

hote = sys.argv[1]
port = int(sys.argv[2])

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.connect((hote, port))
except OSError as e:
    print("Impossible de se connecter :", e, file=sys.stderr)
    sys.exit(1)

fini = False
while not fini:
    # on attend le clavier OU le serveur (pas de timeout => pas d'attente active)
    prets, _, _ = select.select([s, sys.stdin], [], [])

    for f in prets:
        if f == sys.stdin:
            ligne = sys.stdin.readline()
            if ligne == "":
                # Ctrl-D : fin de l'entree standard
                fini = True
                break
            s.sendall(ligne.encode("utf-8"))
        else:
            donnees = s.recv(1024)
            if len(donnees) == 0:
                print("Le serveur a fermé la connexion.")
                fini = True
                break
            # on affiche les octets tels quels, sans decoder
            # (comme ca pas de probleme si un caractere est coupe en deux)
            sys.stdout.buffer.write(donnees)
            sys.stdout.buffer.flush()

s.close()
sys.exit(0)
