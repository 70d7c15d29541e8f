# TP2 reseaux - serveur echo concurrent
# HADDAD Ines, groupe B

import os
import signal
import socket
import sys


def nettoyer_zombies():
    try:
        while os.waitpid(-1, os.WNOHANG) != (0, 0):
            pass
    except ChildProcessError:
        pass


signal.signal(signal.SIGCHLD, lambda sig, frame: nettoyer_zombies())

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", int(sys.argv[1])))
s.listen(5)

while True:
    c, adr = s.accept()
    pid = os.fork()
    if pid == 0:  # fils
        s.close()
        try:
            m = c.recv(4096)
            while m:
                c.sendall(m)
                m = c.recv(4096)
        except OSError:
            pass
        c.close()
        os._exit(0)
    else:  # pere
        c.close()
