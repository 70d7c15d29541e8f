# Lab 3 client -- Alexis Noel
import socket
import sys
import time

HOST = sys.argv[1]
PORT = int(sys.argv[2])
RETRIES = int(sys.argv[3]) if len(sys.argv) > 3 else 3

sock = None
for attempt in range(RETRIES):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect((HOST, PORT))
    except OSError as e:
        s.close()
        print(f"attempt {attempt + 1}/{RETRIES} failed: {e}", file=sys.stderr)
        if attempt < RETRIES - 1:
            time.sleep(1)
        continue
    s.settimeout(None)
    sock = s
    break

if sock is None:
    sys.exit(2)

while True:
    line = sys.stdin.readline()
    if not line:
        break
    data = line.encode()
    sock.sendall(data)
    reply = b""
    while len(reply) < len(data):
        part = sock.recv(2048)
        if not part:
            sys.exit(1)
        reply += part
    sys.stdout.write(reply.decode())
    sys.stdout.flush()
sock.close()
