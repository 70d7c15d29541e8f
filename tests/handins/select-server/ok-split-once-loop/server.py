# tp5 chat server
# Nathan Roux
import socket, select, sys

PORT = int(sys.argv[1])

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(('', PORT))
srv.listen(100)

conns = []
buf = {}

def remove(c):
    if c in conns:
        conns.remove(c)
        buf.pop(c, None)
        c.close()

while True:
    ready = select.select([srv] + conns, [], [])[0]
    for sock in ready:
        if sock == srv:
            c, addr = srv.accept()
            conns.append(c)
            buf[c] = b''
        elif sock in conns:
            try:
                msg = sock.recv(4096)
            except OSError:
                msg = b''
            if msg == b'':
                remove(sock)
            else:
                buf[sock] += msg
                # there can be several lines in one recv: loop until none left
                while b'\n' in buf[sock]:
                    line, buf[sock] = buf[sock].split(b'\n', 1)
                    for other in conns[:]:
                        if other != sock:
                            try:
                                other.sendall(line + b'\n')
                            except OSError:
                                remove(other)
