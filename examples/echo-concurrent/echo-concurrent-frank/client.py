# TP2 client echo
# Frank Muller
import socket
import sys

host = sys.argv[1]
port = int(sys.argv[2])

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
try:
    s.connect((host, port))
except ConnectionRefusedError:
    print("erreur: connexion refusee par", host, port, file=sys.stderr)
    sys.exit(1)
except OSError as e:
    print("erreur:", e, file=sys.stderr)
    sys.exit(1)

line = sys.stdin.readline()
while line:
    msg = line.encode()
    s.sendall(msg)
    rep = b""
    while len(rep) < len(msg):
        r = s.recv(4096)
        if not r:
            sys.exit("erreur: le serveur a ferme la connexion")
        rep += r
    sys.stdout.write(rep.decode())
    sys.stdout.flush()
    line = sys.stdin.readline()

s.close()
