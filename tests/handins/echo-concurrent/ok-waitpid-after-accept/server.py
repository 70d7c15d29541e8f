"""Lab 2 - concurrent echo server, one forked child per client.

No signal handler: after every accept() the parent collects the children
that have finished in the meantime (waitpid with WNOHANG never blocks).
Author: Paul Henry
"""
import os
import socket
import sys


def reap_finished_children():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # no children at all
            return
        if pid == 0:  # children left, none finished
            return


def echo(conn):
    while True:
        data = conn.recv(16384)
        if not data:
            return
        conn.sendall(data)


def main():
    port = int(sys.argv[1])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("", port))
        listener.listen(5)
        while True:
            conn, addr = listener.accept()
            reap_finished_children()
            if os.fork() == 0:
                listener.close()
                with conn:
                    try:
                        echo(conn)
                    except OSError as e:
                        print(f"child {os.getpid()}: {addr}: {e}", file=sys.stderr)
                os._exit(0)
            conn.close()


if __name__ == "__main__":
    main()
