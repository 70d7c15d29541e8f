import os, socket, sys

HOTE = ''
PORT = int(sys.argv[1])

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((HOTE, PORT))
s.listen(5)
print('serveur pret')
nb_fils = 0
while True:
    # on ramasse les fils deja termines
    while nb_fils > 0:
        try:
            pid, statut = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            nb_fils = 0
            break
        if pid == 0:
            break
        nb_fils -= 1
        print('fils', pid, 'termine')
    client, addr = s.accept()
    print('client', addr)
    pid = os.fork()
    if pid == 0:
        s.close()
        while True:
            msg = client.recv(1024)
            if msg == b'':
                break
            client.sendall(msg)
        client.close()
        os._exit(0)
    else:
        nb_fils += 1
        client.close()
