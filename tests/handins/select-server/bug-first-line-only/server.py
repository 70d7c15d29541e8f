# TP5 - serveur chat select
# Paul Mercier
import select
import socket
import sys

s_ecoute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s_ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s_ecoute.bind(('', int(sys.argv[1])))
s_ecoute.listen(64)

connectes = []
tampon = {}

while True:
    prets, _, _ = select.select([s_ecoute] + connectes, [], [])
    for s in prets:
        if s == s_ecoute:
            c, a = s_ecoute.accept()
            connectes.append(c)
            tampon[c] = b''
        elif s in connectes:
            try:
                recu = s.recv(1024)
            except OSError:
                recu = b''
            if not recu:
                connectes.remove(s)
                del tampon[s]
                s.close()
                continue
            tampon[s] += recu
            if b'\n' in tampon[s]:
                # une ligne est complete : on l'envoie aux autres
                ligne, tampon[s] = tampon[s].split(b'\n', 1)
                for autre in connectes[:]:
                    if autre != s:
                        try:
                            autre.sendall(ligne + b'\n')
                        except OSError:
                            connectes.remove(autre)
                            del tampon[autre]
                            autre.close()
