# TP1 - serveur d'echo
# Nicolas Faure, groupe 1
import socket
import sys

PORT = int(sys.argv[1])

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("", PORT))
sock.listen(5)
print("serveur pret sur le port", PORT)

try:
    while True:
        conn, addr = sock.accept()
        print("connexion de", addr)
        while True:
            msg = conn.recv(1024)
            if not msg:
                break
            conn.sendall(msg)
        conn.close()
        print("deconnexion de", addr)
except ConnectionResetError:
    print("le client a reinitialise la connexion")
except KeyboardInterrupt:
    print("arret du serveur")
finally:
    sock.close()
