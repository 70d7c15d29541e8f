# Lab 5 chat server -- Maxime Rousseau 21904417
# non-blocking + selectors; each client has a queue of bytes waiting to be sent,
# and we only ask for EVENT_WRITE while that queue is not empty
import selectors
import socket
import sys
from collections import deque

sel = selectors.DefaultSelector()


class Client:
    def __init__(self, sock):
        self.sock = sock
        self.inbox = b""
        self.outq = deque()

    def queue(self, data):
        if not self.outq:
            sel.modify(self.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, self)
        self.outq.append(data)

    def flush(self):
        while self.outq:
            first = self.outq[0]
            sent = self.sock.send(first)      # may be less than len(first)
            if sent < len(first):
                self.outq[0] = first[sent:]
                return
            self.outq.popleft()
        sel.modify(self.sock, selectors.EVENT_READ, self)


clients = {}


def drop(c):
    if c.sock in clients:
        del clients[c.sock]
        sel.unregister(c.sock)
        c.sock.close()


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("", int(sys.argv[1])))
server.listen(64)
server.setblocking(False)
sel.register(server, selectors.EVENT_READ, None)

while True:
    for key, mask in sel.select():
        if key.data is None:
            conn, _ = server.accept()
            conn.setblocking(False)
            clients[conn] = Client(conn)
            sel.register(conn, selectors.EVENT_READ, clients[conn])
            continue
        c = key.data
        if c.sock not in clients:
            continue
        try:
            if mask & selectors.EVENT_WRITE:
                c.flush()
            if mask & selectors.EVENT_READ:
                data = c.sock.recv(4096)
                if not data:
                    drop(c)
                    continue
                c.inbox += data
                *lines, c.inbox = c.inbox.split(b"\n")
                for line in lines:
                    for other in list(clients.values()):
                        if other is not c:
                            other.queue(line + b"\n")
        except BlockingIOError:
            pass
        except OSError:
            drop(c)
