# TP4 reseau : client chat (version avec poll au lieu de select)
# Ines Benali
import codecs
import select
import socket
import sys

TAILLE = 2048

hote, port = sys.argv[1], int(sys.argv[2])
sock = socket.socket()
sock.connect((hote, port))

clavier = sys.stdin.buffer.raw          # lecture brute, sans tampon python
fd_clavier = clavier.fileno()
fd_sock = sock.fileno()

# decodeur incremental : garde la moitie d'un caractere accentue en attente
decodeur = codecs.getincrementaldecoder("utf-8")(errors="replace")

p = select.poll()
p.register(fd_sock, select.POLLIN)
p.register(fd_clavier, select.POLLIN)

continuer = True
while continuer:
    for fd, ev in p.poll():          # poll() sans timeout : on dort
        if fd == fd_clavier:
            octets = clavier.read(1024)
            if not octets:               # Ctrl-D
                continuer = False
            else:
                sock.sendall(octets)
        elif fd == fd_sock:
            recu = sock.recv(TAILLE)
            if recu == b"":
                print(decodeur.decode(b"", final=True), end="")
                print("*** connexion terminée par le serveur ***", flush=True)
                continuer = False
            else:
                print(decodeur.decode(recu), end="", flush=True)

sock.close()
