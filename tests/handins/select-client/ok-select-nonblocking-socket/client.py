import socket, select, sys

# TP4 client chat -- Sarah K.
# socket en mode non bloquant, comme en cours

if len(sys.argv) != 3:
    print("Usage: %s host port" % sys.argv[0], file=sys.stderr)
    sys.exit(1)

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect((sys.argv[1], int(sys.argv[2])))
sock.setblocking(False)

entrees = [sys.stdin, sock]

while True:
    lire, ecrire, erreur = select.select(entrees, [], [])

    if sys.stdin in lire:
        msg = sys.stdin.readline()
        if msg == '':
            break
        sock.setblocking(True)       # pour etre sur que tout part
        sock.sendall(msg.encode('utf-8'))
        sock.setblocking(False)

    if sock in lire:
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            continue
        if not data:
            sys.stdout.write('Le serveur est parti, au revoir !\n')
            sys.stdout.flush()
            break
        sys.stdout.buffer.write(data)
        sys.stdout.flush()

sock.close()
