"""Lab 3 echo server. Author: Ethan Colin

I reused my threaded server so that waiting clients do not have to wait.
"""
import socket
import sys
import threading


def client_thread(conn):
    with conn:
        try:
            while True:
                data = conn.recv(4096)
                if not data:
                    break
                conn.sendall(data)
        except OSError:
            pass


def main():
    port = int(sys.argv[1])
    queue_size = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("", port))
    server.listen(queue_size)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=client_thread, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
