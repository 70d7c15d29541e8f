# -*- coding: utf-8 -*-
# TP4 : client de chat avec select()
# Hugo Lefevre - groupe 3
#
# Lancement : python3 client.py localhost 5000

import select
import socket
import sys

BUF = 1024


def main():
    if len(sys.argv) != 3:
        print("Usage : client.py <machine> <port>", file=sys.stderr)
        sys.exit(1)

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.connect((sys.argv[1], int(sys.argv[2])))

    while True:
        rlist, wlist, xlist = select.select([s, sys.stdin], [], [])

        if s in rlist:
            msg = s.recv(BUF)
            if msg == b"":
                print("Déconnecté : le serveur a fermé la connexion", flush=True)
                s.close()
                sys.exit(0)
            sys.stdout.buffer.write(msg)
            sys.stdout.flush()

        if sys.stdin in rlist:
            texte = sys.stdin.readline()
            if texte == "":          # EOF
                s.close()
                sys.exit(0)
            s.sendall(texte.encode())


main()
