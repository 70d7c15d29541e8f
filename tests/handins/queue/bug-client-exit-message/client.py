"""TP3 - client (Lou Perrot)"""
import socket
import sys
import time


def connexion(hote, port, reessais):
    for essai in range(reessais + 1):
        if essai:
            time.sleep(1)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect((hote, port))
        except (ConnectionRefusedError, TimeoutError) as e:
            s.close()
            print(f"essai {essai + 1} : {e}", file=sys.stderr)
            continue
        s.settimeout(None)
        return s
    # plus d'essais : on quitte avec un message
    sys.exit(f"Erreur : serveur {hote}:{port} injoignable apres {reessais + 1} essais")


def main():
    reessais = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    s = connexion(sys.argv[1], int(sys.argv[2]), reessais)
    while True:
        ligne = sys.stdin.readline()
        if not ligne:
            break
        donnees = ligne.encode()
        s.sendall(donnees)
        recu = b""
        while len(recu) < len(donnees):
            bout = s.recv(4096)
            if not bout:
                sys.exit(1)
            recu += bout
        sys.stdout.write(recu.decode())
        sys.stdout.flush()
    s.close()


main()
