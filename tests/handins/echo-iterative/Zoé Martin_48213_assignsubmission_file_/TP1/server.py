# -*- coding: utf-8 -*-
# TP1 Programmation réseau : serveur echo itératif
# MARTIN Zoé - groupe TD3

import sys
from socket import socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR


def main():
    port = int(sys.argv[1])
    sock_ecoute = socket(AF_INET, SOCK_STREAM)
    sock_ecoute.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
    sock_ecoute.bind(("", port))
    sock_ecoute.listen(5)

    while True:
        sock_service, (ip, port_client) = sock_ecoute.accept()
        print(f"nouveau client {ip}:{port_client}", flush=True)
        try:
            data = sock_service.recv(4096)
            while data:
                sock_service.sendall(data)
                data = sock_service.recv(4096)
        except ConnectionResetError:
            print("connexion réinitialisée par le client", flush=True)
        finally:
            sock_service.close()


if __name__ == "__main__":
    main()
