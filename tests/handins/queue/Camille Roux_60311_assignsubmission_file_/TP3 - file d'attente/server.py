# TP3 : serveur echo avec file d'attente
# ROUX Camille (groupe TP 2)
import socket
import sys

TAILLE_FILE_DEFAUT = 5


def main():
    port = int(sys.argv[1])
    try:
        taille_file = int(sys.argv[2])
    except IndexError:
        taille_file = TAILLE_FILE_DEFAUT

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", port))
    s.listen(taille_file)

    while True:
        conn, adr = s.accept()
        with conn:
            try:
                while True:
                    morceau = conn.recv(4096)
                    if not morceau:
                        break
                    conn.sendall(morceau)
            except ConnectionResetError:
                pass


if __name__ == "__main__":
    main()
