# TP5 - serveur de chat
# Ines Moreau
# Un thread par client, c'est plus simple que select
import socket
import sys
import threading

clients = []
verrou = threading.Lock()


def relayer(ligne, expediteur):
    with verrou:
        for c in clients[:]:
            if c is not expediteur:
                try:
                    c.sendall(ligne)
                except OSError:
                    clients.remove(c)


def servir(conn):
    tampon = b""
    while True:
        try:
            data = conn.recv(4096)
        except OSError:
            break
        if not data:
            break
        tampon += data
        while b"\n" in tampon:
            i = tampon.index(b"\n")
            relayer(tampon[:i + 1], conn)
            tampon = tampon[i + 1:]
    with verrou:
        if conn in clients:
            clients.remove(conn)
    conn.close()


ecoute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ecoute.bind(("", int(sys.argv[1])))
ecoute.listen(64)

while True:
    conn, adr = ecoute.accept()
    with verrou:
        clients.append(conn)
    threading.Thread(target=servir, args=(conn,), daemon=True).start()
