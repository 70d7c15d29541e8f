# TP2 : serveur echo avec fork
# Lucie Fabre
import os
import signal
import socket
import sys


def handler(signum, frame):
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


signal.signal(signal.SIGCHLD, handler)

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("", int(sys.argv[1])))
sock.listen(5)

clients = []  # pour garder une trace des clients servis

while True:
    conn, addr = sock.accept()
    clients.append((conn, addr))
    print("client numero", len(clients), ":", addr, flush=True)
    if os.fork() == 0:
        # fils : fait l'echo puis se termine
        sock.close()
        try:
            while True:
                data = conn.recv(1024)
                if not data:
                    break
                conn.sendall(data)
        except OSError:
            pass
        conn.close()
        os._exit(0)
