# TP4 - Client de chat (select)
# Emma Lambert
import select
import socket
import sys


def prompt():
    # petit invite pour savoir quand on peut ecrire
    sys.stdout.write("> ")
    sys.stdout.flush()


sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.connect((sys.argv[1], int(sys.argv[2])))

prompt()
while True:
    lecture, _, _ = select.select([sock, sys.stdin], [], [])
    for source in lecture:
        if source is sock:
            recu = sock.recv(4096)
            if not recu:
                print("Le serveur a fermé la connexion")
                sys.exit(0)
            sys.stdout.buffer.write(recu)
            sys.stdout.flush()
        else:
            ligne = sys.stdin.readline()
            if not ligne:
                sock.close()
                sys.exit(0)
            sock.sendall(ligne.encode())
            prompt()
