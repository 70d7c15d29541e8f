# TP1 reseau - client echo
# Kevin Martin
import socket, sys

s = socket.socket()
try:
    s.connect((sys.argv[1], int(sys.argv[2])))
except OSError as e:
    sys.stderr.write('connexion impossible : %s\n' % e)
    sys.exit(1)

# un fichier sur la socket : read(n) attend d'avoir n octets (ou la fin)
f = s.makefile('rb')
entree = sys.stdin.buffer

while 1:
    l = entree.readline()
    if not l:
        break
    s.sendall(l)
    r = f.read(len(l))
    sys.stdout.buffer.write(r)
    sys.stdout.buffer.flush()

f.close()
s.close()
