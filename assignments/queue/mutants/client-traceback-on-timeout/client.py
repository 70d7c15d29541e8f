"""Lab 3 - echo client that retries when the server's queue is full.

Usage: python3 client.py HOST PORT [RETRIES]

The lab 1 client (each stdin line is sent, newline included, and the
echoed reply printed; at the end of stdin the connection is closed), with
a patient connect:

- each attempt uses a fresh socket and gives up after CONNECT_TIMEOUT s;
- a failed attempt (refused, timed out, any other OSError) prints one line
  on stderr, then the client waits RETRY_DELAY s and tries again, up to
  RETRIES more times (default 3, so 4 attempts in all);
- when every attempt failed: a last line on stderr, exit status 2.

Why a timeout? When the server's listen queue is full, the kernel of the
server drops our SYN without answering: no "connection refused" comes
back, and a plain connect() would wait for minutes while the kernel
retransmits the SYN. With a timeout, connect() raises TimeoutError
(alias socket.timeout) after CONNECT_TIMEOUT seconds instead.
"""
import socket
import sys
import time

BUFFER_SIZE = 4096
CONNECT_TIMEOUT = 2.0   # seconds allowed for one connection attempt
RETRY_DELAY = 1.0       # seconds to wait between two attempts
DEFAULT_RETRIES = 3     # attempts after the first one


def connect_with_retries(host, port, retries):
    """Return a connected (blocking) socket, or exit with status 2."""
    attempts = 1 + retries
    for attempt in range(1, attempts + 1):
        # A socket whose connect() failed cannot be reused: new one each time.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(CONNECT_TIMEOUT)
        try:
            sock.connect((host, port))
        # BUG: only "connection refused" is caught. When the server's queue
        # is full, connect() raises TimeoutError (socket.timeout) instead,
        # which ends the program with a traceback (exit status 1).
        except ConnectionRefusedError as e:
            sock.close()
            reason = e.strerror or str(e)
            print(f"client: attempt {attempt}/{attempts} failed: {reason}",
                  file=sys.stderr)
            if attempt < attempts:
                time.sleep(RETRY_DELAY)
            continue
        # Connected: from now on, recv() and sendall() may wait as long as
        # needed (the server may still be busy with another client while we
        # sit in its queue), so switch back to blocking mode.
        sock.settimeout(None)
        return sock
    print(f"client: giving up after {attempts} attempts", file=sys.stderr)
    sys.exit(2)


def recv_exactly(sock, size):
    """Receive exactly size bytes: the reply may arrive in several pieces.

    Returns fewer bytes only if the server closed the connection first.
    """
    data = b""
    while len(data) < size:
        chunk = sock.recv(min(BUFFER_SIZE, size - len(data)))
        if not chunk:           # b"" : the server closed the connection
            break
        data += chunk
    return data


def main():
    if len(sys.argv) not in (3, 4):
        print(f"usage: {sys.argv[0]} HOST PORT [RETRIES]", file=sys.stderr)
        sys.exit(2)
    host = sys.argv[1]
    try:
        port = int(sys.argv[2])
        retries = int(sys.argv[3]) if len(sys.argv) == 4 else DEFAULT_RETRIES
        if not 0 <= port <= 65535 or retries < 0:
            raise ValueError
    except ValueError:
        print(f"usage: {sys.argv[0]} HOST PORT [RETRIES]"
              " (PORT 0-65535, RETRIES >= 0)", file=sys.stderr)
        sys.exit(2)

    sock = connect_with_retries(host, port, retries)

    try:
        while True:
            # readline() (not "for line in sys.stdin") hands each line over
            # as soon as it is typed; it returns "" at the end of stdin.
            line = sys.stdin.readline()
            if not line:
                break
            data = line.encode("utf-8")
            sock.sendall(data)
            reply = recv_exactly(sock, len(data))
            if len(reply) < len(data):
                print("client: connection closed by the server", file=sys.stderr)
                sys.exit(1)
            # Write the reply and flush at once, even when stdout is a pipe.
            sys.stdout.write(reply.decode("utf-8"))
            sys.stdout.flush()
    except OSError as e:                # connection reset by the server...
        print(f"client: connection error: {e}", file=sys.stderr)
        sys.exit(1)
    finally:
        sock.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
