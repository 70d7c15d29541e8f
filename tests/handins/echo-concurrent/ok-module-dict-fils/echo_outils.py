"""Outils du TP2 (Romain Perrin) : le service d'echo d'un client."""


def servir(conn, taille=16):
    """Renvoie tout ce qui arrive jusqu'a la fermeture par le client.
    Petite taille de tampon pour tester les envois en plusieurs morceaux."""
    while True:
        morceau = conn.recv(taille)
        if not morceau:
            return
        conn.sendall(morceau)
