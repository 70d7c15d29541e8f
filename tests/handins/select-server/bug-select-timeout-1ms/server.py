# TP5 chat server
# Lucas Garnier
import select
import socket
import sys

TIMEOUT = 0.001  # to not block forever in select

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("", int(sys.argv[1])))
srv.listen(64)

clients = {}

while True:
    r, _, _ = select.select([srv] + list(clients), [], [], TIMEOUT)
    if not r:
        continue
    for s in r:
        if s is srv:
            c, _ = srv.accept()
            clients[c] = bytearray()
            continue
        if s not in clients:
            continue
        try:
            chunk = s.recv(4096)
        except OSError:
            chunk = b""
        if not chunk:
            del clients[s]
            s.close()
            continue
        buf = clients[s]
        buf += chunk
        while (pos := buf.find(b"\n")) != -1:
            line = bytes(buf[:pos + 1])
            del buf[:pos + 1]
            for other in list(clients):
                if other is not s:
                    try:
                        other.sendall(line)
                    except OSError:
                        del clients[other]
                        other.close()
