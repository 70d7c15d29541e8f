"""Lab 5 - chat server: one process, one thread, select().
(Also given in lab 4, to try the chat client with.)

Usage: python3 server.py PORT

Every complete line (ending with "\\n") received from one client is sent,
unchanged, to every other connected client (not back to its sender).

A single thread serves everybody: select.select() waits until the
listening socket (a new client) or some client sockets (data, or a
disconnection) are readable, and the loop then reads only what select()
announced: one accept() for the listening socket, one recv() per readable
client. (Any other recv() could block, and the whole server with it.)
As recv() returns whatever has arrived (part of a line, several
lines...), each client has its own input buffer where bytes wait until
their line is complete.
"""
import socket
import sys
import threading

QUEUE_SIZE = 64
BUFFER_SIZE = 4096  # maximum number of bytes read by one recv()

clients = []                # the connected client sockets
lock = threading.Lock()     # protects clients, and keeps lines whole


def relay(line, sender):
    """Send one complete line to every client except its sender."""
    with lock:
        for other in clients:
            if other is sender:
                continue
            try:
                other.sendall(line)
            except OSError:     # that client's own thread will drop it
                pass


def serve(conn):
    """Thread body: read one client's lines and relay them."""
    buffer = bytearray()
    try:
        while True:
            data = conn.recv(BUFFER_SIZE)
            if not data:        # b"" : the client closed
                break
            buffer += data
            while True:
                end = buffer.find(b"\n")
                if end < 0:
                    break
                line = bytes(buffer[:end + 1])
                del buffer[:end + 1]
                relay(line, conn)
    except OSError:             # ConnectionResetError...
        pass
    finally:
        with lock:
            clients.remove(conn)
        conn.close()


def main():
    if len(sys.argv) != 2:
        print(f"usage: {sys.argv[0]} PORT", file=sys.stderr)
        sys.exit(2)
    port = int(sys.argv[1])

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Allow restarting the server at once on the same port (TIME_WAIT).
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", port))   # "" = all interfaces
    listener.listen(QUEUE_SIZE)

    while True:
        conn, addr = listener.accept()
        with lock:
            clients.append(conn)
        # BUG: one thread per client, each blocked in its own recv(),
        # instead of one thread multiplexing every socket with select().
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
