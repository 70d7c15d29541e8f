"""TP2 - serveur d'écho concurrent (un processus par client, avec multiprocessing)."""
import multiprocessing
import socket
import sys


def servir(ecoute, conn):
    ecoute.close()  # le fils n'accepte pas
    with conn:
        while True:
            donnees = conn.recv(4096)
            if not donnees:
                break
            conn.sendall(donnees)


def main():
    port = int(sys.argv[1])
    ecoute = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ecoute.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ecoute.bind(("", port))
    ecoute.listen(5)
    print("Serveur en attente sur le port", port)
    while True:
        conn, adresse = ecoute.accept()
        print("Connexion de", adresse)
        fils = multiprocessing.Process(target=servir, args=(ecoute, conn))
        fils.start()
        conn.close()  # le père ferme sa copie
        multiprocessing.active_children()  # récupère les fils terminés


if __name__ == "__main__":
    multiprocessing.set_start_method("fork")
    main()
