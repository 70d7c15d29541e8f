# client.py -- TP3, client echo qui reessaie
# Rayan Dumont

import socket
import sys
import time

from commun import entier_arg, recevoir_n

HOTE = sys.argv[1]
PORT = entier_arg(2)
REESSAIS = entier_arg(3, 3)

sock = None
for essai in range(1 + REESSAIS):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(2)
    try:
        sock.connect((HOTE, PORT))
        break
    except TimeoutError:
        print(f"essai {essai + 1} : pas de reponse en 2 s", file=sys.stderr)
    except ConnectionRefusedError:
        print(f"essai {essai + 1} : connexion refusee", file=sys.stderr)
    sock.close()
    sock = None
    if essai < REESSAIS:
        time.sleep(1)

if sock is None:
    print("abandon", file=sys.stderr)
    sys.exit(2)

sock.settimeout(None)
for ligne in sys.stdin:
    octets = ligne.encode()
    sock.sendall(octets)
    sys.stdout.buffer.write(recevoir_n(sock, len(octets)))
    sys.stdout.flush()
sock.close()
