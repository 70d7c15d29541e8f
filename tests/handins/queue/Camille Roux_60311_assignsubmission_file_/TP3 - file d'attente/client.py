# TP3 : client echo avec reessais
# ROUX Camille (groupe TP 2)
import socket
import sys
import time


def connexion(hote, port, reessais):
    for tentative in range(reessais + 1):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect((hote, port))
            s.settimeout(None)
            return s
        except OSError as e:
            s.close()
            print(f"Erreur : tentative {tentative + 1}/{reessais + 1} : {e}", file=sys.stderr)
            if tentative < reessais:
                time.sleep(1)
    sys.exit(2)


def main():
    hote, port = sys.argv[1], int(sys.argv[2])
    reessais = int(sys.argv[3]) if len(sys.argv) == 4 else 3
    s = connexion(hote, port, reessais)
    while True:
        ligne = sys.stdin.readline()
        if not ligne:
            break
        donnees = ligne.encode()
        s.sendall(donnees)
        recu = b""
        while len(recu) < len(donnees):
            bloc = s.recv(4096)
            if not bloc:
                sys.exit(1)
            recu += bloc
        sys.stdout.write(recu.decode())
        sys.stdout.flush()
    s.close()


main()
