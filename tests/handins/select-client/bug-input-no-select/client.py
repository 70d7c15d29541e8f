# TP4 client de chat
# Yanis Cherif
# je n'ai pas reussi avec select, alors je lis le clavier puis je regarde
# si le serveur a envoye quelque chose (avec un timeout pour ne pas bloquer)
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((sys.argv[1], int(sys.argv[2])))

while True:
    try:
        texte = input()
    except EOFError:
        break
    s.sendall((texte + "\n").encode())

    # on regarde les messages recus
    s.settimeout(0.2)
    try:
        data = s.recv(4096)
        if not data:
            print("Le serveur a fermé la connexion")
            break
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    except socket.timeout:
        pass

s.close()
