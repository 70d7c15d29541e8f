# fonctions utilitaires pour le TP5


def couper_lignes(octets):
    """Renvoie (liste des lignes completes avec leur \\n, reste sans \\n)."""
    lignes = []
    debut = 0
    fin = octets.find(b"\n")
    while fin != -1:
        lignes.append(octets[debut:fin + 1])
        debut = fin + 1
        fin = octets.find(b"\n", debut)
    return lignes, octets[debut:]
