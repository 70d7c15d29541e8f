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
import select
import socket
import sys

# The listen() backlog. Lab 1 used 5; here up to 50 clients may connect
# at the same moment, faster than the loop accepts them. Connections beyond
# the backlog would be dropped by the kernel and retried by the client's
# kernel only about one second later, so allow a larger queue.
QUEUE_SIZE = 64
BUFFER_SIZE = 4096  # maximum number of bytes read by one recv()


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

    clients = []        # the connected client sockets
    buffers = {}        # client socket -> bytearray of bytes not yet relayed

    def drop(sock):
        """Forget a client that left or failed; the others go on."""
        if sock in buffers:
            clients.remove(sock)
            del buffers[sock]
            sock.close()

    def relay(line, sender):
        """Send one complete line to every client except its sender."""
        for other in list(clients):     # a copy: drop() changes the list
            if other is sender:
                continue
            try:
                # sendall() could block if that client never reads and its
                # socket buffers fill up (hundreds of KB); fine for a chat.
                other.sendall(line)
            except OSError:             # BrokenPipeError, ConnectionResetError
                drop(other)

    while True:
        # No timeout: sleep until something happens on any socket.
        readable, _, _ = select.select([listener] + clients, [], [])

        for sock in readable:
            if sock is listener:
                # A new client is waiting: accept() will not block.
                try:
                    conn, addr = listener.accept()
                except OSError as e:    # it gave up meanwhile, or no fd left
                    print(f"server: accept: {e}", file=sys.stderr)
                    continue
                clients.append(conn)
                buffers[conn] = bytearray()
                continue

            if sock not in buffers:     # dropped earlier in this same round
                continue
            try:
                data = sock.recv(BUFFER_SIZE)   # select said: will not block
            except OSError:             # ConnectionResetError...
                data = b""
            if not data:                # b"" : the client closed (or failed)
                drop(sock)
                continue

            buffer = buffers[sock]
            buffer += data
            # Relay every complete line now in the buffer, one by one; an
            # incomplete last line stays there until the rest arrives.
            while True:
                end = buffer.find(b"\n")
                if end < 0:
                    break
                line = bytes(buffer[:end + 1])
                del buffer[:end + 1]
                relay(line, sock)


if __name__ == "__main__":
    main()
