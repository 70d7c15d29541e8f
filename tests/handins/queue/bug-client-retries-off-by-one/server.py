# Lab 3 server -- Alexis Noel
import socket
import sys

PORT = int(sys.argv[1])
QUEUE = int(sys.argv[2]) if len(sys.argv) > 2 else 5

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("", PORT))
listener.listen(QUEUE)

while True:
    conn, addr = listener.accept()
    try:
        while True:
            chunk = conn.recv(2048)
            if not chunk:
                break
            conn.sendall(chunk)
    except OSError as e:
        print(addr, e, file=sys.stderr)
    finally:
        conn.close()
