#!/usr/bin/env python3
# TP2 : serveur echo multi-processus
# Louis Chevalier -- L3 MIAGE
import os
import signal
import socket
import sys


def sigchld(_sig, _frame):
    # un seul signal peut correspondre a plusieurs fils morts -> boucle
    while True:
        try:
            pid, _status, _rusage = os.wait3(os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


signal.signal(signal.SIGCHLD, sigchld)

port = int(sys.argv[1])
with socket.create_server(("", port), backlog=20) as srv:
    while True:
        conn, addr = srv.accept()
        if os.fork() > 0:
            conn.close()  # pere : il retourne directement a accept()
            continue
        # fils
        srv.close()
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except ConnectionError:
                pass
        sys.exit(0)
