# TP3 client avec reessais
import socket
import sys
import time

HOST = sys.argv[1]
PORT = int(sys.argv[2])
RETRIES = int(sys.argv[3]) if len(sys.argv) > 3 else 3

essai = 0
sock = None
while True:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(2)
    try:
        sock.connect((HOST, PORT))
        break
    except socket.timeout:
        print("pas de reponse du serveur (file pleine ?)", file=sys.stderr)
    except ConnectionRefusedError:
        print("connexion refusee", file=sys.stderr)
    sock.close()
    essai += 1
    if essai > RETRIES:
        sys.exit(2)
    time.sleep(1)

sock.settimeout(None)
for ligne in sys.stdin:
    octets = ligne.encode()
    sock.sendall(octets)
    recu = b""
    while len(recu) < len(octets):
        bout = sock.recv(1024)
        if not bout:
            sys.exit(0)
        recu += bout
    sys.stdout.write(recu.decode())
    sys.stdout.flush()
sock.close()
