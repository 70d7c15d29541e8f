"""Lab 1 - echo server, written with the socketserver module.

python3 server.py PORT
"""
import socketserver
import sys


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        # self.request is the connected socket
        try:
            while True:
                chunk = self.request.recv(8192)
                if not chunk:
                    break  # client is done
                self.request.sendall(chunk)
        except ConnectionError as exc:
            # reset / broken pipe: forget this client, the server goes on
            print(f"client {self.client_address} dropped: {exc}", file=sys.stderr)


class EchoServer(socketserver.TCPServer):
    allow_reuse_address = True
    request_queue_size = 5   # listen(5)


if __name__ == "__main__":
    port = int(sys.argv[1])
    # TCPServer is iterative: one request handled at a time, then back to accept()
    with EchoServer(("", port), EchoHandler) as server:
        server.serve_forever()
