"""Fonctions communes au client et au serveur du TP1.

Groupe 4 : Chloé Fontaine, Julien Moreau
"""
import socket
import sys


def envoyer(sock, donnees):
    """Envoie tous les octets (sendall boucle tout seul sur send)."""
    sock.sendall(donnees)


def recevoir(sock, nb):
    """Recoit exactement nb octets, sauf si l'autre cote ferme avant."""
    tampon = bytearray()
    while len(tampon) < nb:
        paquet = sock.recv(nb - len(tampon))
        if not paquet:
            break
        tampon.extend(paquet)
    return bytes(tampon)


def erreur(message, code):
    """Affiche une ligne sur la sortie d'erreur et quitte."""
    print(message, file=sys.stderr)
    sys.exit(code)


def socket_tcp():
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM)
