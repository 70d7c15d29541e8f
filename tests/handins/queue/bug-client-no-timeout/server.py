# TP3 serveur echo - Marine Guerin
import socket
import sys

port = int(sys.argv[1])
file_attente = 5
if len(sys.argv) == 3:
    file_attente = int(sys.argv[2])

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("", port))
srv.listen(file_attente)

while True:
    c, a = srv.accept()
    try:
        while True:
            m = c.recv(4096)
            if not m:
                break
            c.sendall(m)
    except OSError:
        pass
    finally:
        c.close()
