"""Lab 2 - concurrent echo server, using the standard socketserver module.

Erin Schmitt. ForkingTCPServer forks one process per connection and
reaps the finished children itself (collect_children).
"""
import socketserver
import sys


class EchoHandler(socketserver.StreamRequestHandler):
    """Runs in the child process, once per client."""

    def handle(self):
        while True:
            chunk = self.rfile.read1(4096)  # whatever is available, b"" at EOF
            if not chunk:
                break
            self.wfile.write(chunk)         # unbuffered: written at once


class EchoServer(socketserver.ForkingTCPServer):
    allow_reuse_address = True   # SO_REUSEADDR
    request_queue_size = 5       # listen() backlog


def main():
    port = int(sys.argv[1])
    with EchoServer(("", port), EchoHandler) as server:
        server.serve_forever()


if __name__ == "__main__":
    main()
