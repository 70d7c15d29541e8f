# TP3 serveur iteratif avec file d'attente
import socket
import sys

if len(sys.argv) < 2:
    print("usage: server.py PORT [QUEUE_SIZE]")
    sys.exit(1)
PORT = int(sys.argv[1])
QUEUE_SIZE = int(sys.argv[2]) if len(sys.argv) > 2 else 5

serveur = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serveur.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
serveur.bind(("0.0.0.0", PORT))
serveur.listen(QUEUE_SIZE)
print("en ecoute, file de", QUEUE_SIZE)

while True:
    conn, adr = serveur.accept()
    print("client", adr)
    try:
        while True:
            data = conn.recv(1024)
            if not data:
                break
            conn.sendall(data)
    except ConnectionResetError:
        print("client parti brutalement")
    finally:
        conn.close()
