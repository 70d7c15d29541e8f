# Lab 4: select-based chat client
# Maxime Rousseau, 21904417
# I used the pattern from the selectors doc: a callback is stored in key.data

import selectors
import socket
import sys

sel = selectors.DefaultSelector()
done = False


def from_keyboard(sock):
    global done
    line = sys.stdin.buffer.readline()   # bytes, one line
    if line == b"":
        done = True                      # ctrl-D
    else:
        sock.sendall(line)


def from_server(sock):
    global done
    chunk = sock.recv(1024)
    if chunk == b"":
        sys.stdout.buffer.write(b">>> server has closed the connection\n")
        sys.stdout.buffer.flush()
        done = True
    else:
        sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()


if len(sys.argv) != 3:
    sys.exit("Usage: python3 client.py <host> <port>")

s = socket.socket()
s.connect((sys.argv[1], int(sys.argv[2])))

sel.register(sys.stdin, selectors.EVENT_READ, from_keyboard)
sel.register(s, selectors.EVENT_READ, from_server)

while not done:
    for key, _ in sel.select():
        callback = key.data
        callback(s)
        if done:
            break

s.close()
