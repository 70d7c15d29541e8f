#!/usr/bin/env python3
"""TP1 serveur echo - Emma Rousseau

Le serveur affiche chaque message recu puis le renvoie au client.
"""
import socket
import sys


def main():
    port = int(sys.argv[1])
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", port))
    s.listen(5)

    while True:
        conn, addr = s.accept()
        print(f"[+] client {addr[0]}:{addr[1]}")
        try:
            while True:
                message = conn.recv(1024).decode("utf-8")
                if message == "":
                    break
                print(f"    recu : {message!r}")
                conn.sendall(message.encode("utf-8"))
        except (ConnectionResetError, BrokenPipeError):
            print("[!] connexion coupee par le client")
        conn.close()
        print(f"[-] client {addr[0]}:{addr[1]} parti")


if __name__ == "__main__":
    main()
