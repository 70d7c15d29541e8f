# TP1 reseau - serveur echo
# Kevin Martin
import socket, sys

if len(sys.argv) < 2:
    print("usage: server.py port")
    sys.exit(1)

s = socket.socket()
s.bind(('', int(sys.argv[1])))
s.listen(5)

while 1:
    c, a = s.accept()
    print('client', a)
    while 1:
        try:
            d = c.recv(2048)
        except ConnectionResetError:
            print('reset')
            break
        if not d:
            break
        try:
            c.sendall(d)
        except OSError:
            print('send failed')
            break
    c.close()
