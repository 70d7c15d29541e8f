"""TP3 - client d'echo qui reessaie quand la file du serveur est pleine.

    python3 client.py HOTE PORT [ESSAIS]
Auteur : Agathe Renaud
"""
import argparse
import socket
import sys
import time

DELAI_CONNEXION = 2   # secondes
PAUSE = 1             # secondes entre deux tentatives


def connecter(hote, port, essais):
    for tentative in range(1, essais + 2):   # 1 tentative + ESSAIS nouvelles
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(DELAI_CONNEXION)
        try:
            s.connect((hote, port))
        except OSError as e:  # refus, delai depasse...
            s.close()
            raison = "delai depasse" if isinstance(e, TimeoutError) else e.strerror
            print(f"tentative {tentative} echouee : {raison}", file=sys.stderr)
            if tentative <= essais:
                time.sleep(PAUSE)
            continue
        s.settimeout(None)    # connecte : plus de delai pour recv/send
        return s
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("hote")
    parser.add_argument("port", type=int)
    parser.add_argument("essais", type=int, nargs="?", default=3)
    args = parser.parse_args()

    s = connecter(args.hote, args.port, args.essais)
    if s is None:
        sys.exit(2)

    while True:
        ligne = sys.stdin.readline()
        if not ligne:
            break
        a_envoyer = ligne.encode()
        s.sendall(a_envoyer)
        recu = b""
        while len(recu) < len(a_envoyer):
            morceau = s.recv(4096)
            if not morceau:
                print("le serveur a ferme la connexion", file=sys.stderr)
                sys.exit(1)
            recu += morceau
        sys.stdout.write(recu.decode())
        sys.stdout.flush()
    s.close()


if __name__ == "__main__":
    main()
