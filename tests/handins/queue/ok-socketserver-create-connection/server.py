"""Lab 3 - iterative echo server on socketserver.TCPServer.

usage: python3 server.py PORT [QUEUE_SIZE]
TCPServer calls listen(self.request_queue_size) in server_activate(), so
the queue size has to be set before the constructor runs.
Author: Jules Garnier
"""
import socketserver
import sys


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        try:
            while chunk := self.request.recv(4096):
                self.request.sendall(chunk)
        except ConnectionError:
            pass  # the client went away, next one


class QueueServer(socketserver.TCPServer):
    allow_reuse_address = True

    def __init__(self, port, queue_size):
        self.request_queue_size = queue_size
        super().__init__(("", port), EchoHandler)


if __name__ == "__main__":
    port = int(sys.argv[1])
    queue_size = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    server = QueueServer(port, queue_size)
    try:
        server.serve_forever()
    finally:
        server.server_close()
