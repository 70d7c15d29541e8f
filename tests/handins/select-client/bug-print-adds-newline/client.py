# TP4 - client chat select
# Julien Fabre
import codecs
import select
import socket
import sys

host = sys.argv[1]
port = int(sys.argv[2])

client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
client.connect((host, port))

decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

while True:
    ready, _, _ = select.select([client, sys.stdin], [], [])

    if client in ready:
        data = client.recv(1024)
        if not data:
            print("Serveur déconnecté.", flush=True)
            break
        message = decoder.decode(data)
        print(message, flush=True)

    if sys.stdin in ready:
        line = sys.stdin.readline()
        if not line:
            break
        client.sendall(line.encode("utf-8"))

client.close()
