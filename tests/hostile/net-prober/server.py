"""Hostile: lists the network interfaces, tries every TCP port of 127.0.0.1 and a few other
addresses (the host's services must be out of reach), prints what answered, then works as a
correct echo server. Its last line on stderr is a JSON summary."""
import json
import socket
import sys

def serve(port):
    """A correct fork-per-connection echo server (what this submission does besides its mischief)."""
    import os, signal, socket
    def reap(*_):
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
    signal.signal(signal.SIGCHLD, reap)
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("", port))
    lsock.listen(20)
    while True:
        conn, _ = lsock.accept()
        if os.fork() == 0:
            lsock.close()
            while data := conn.recv(65536):
                conn.sendall(data)
            os._exit(0)
        conn.close()


summary = {"ifaces": [name for _, name in socket.if_nameindex()], "open": [], "other": {}}
for port in range(1, 65536):  # bounded: one connect per port, refused at once on loopback
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0 and s.getsockname() != s.getpeername():  # not itself
            summary["open"].append(port)  # (an ephemeral source port equal to `port` self-connects)
for addr in ("10.0.2.2", "172.17.0.1", "192.168.1.1", "169.254.169.254", "8.8.8.8"):
    with socket.socket() as s:
        s.settimeout(1)
        summary["other"][addr] = s.connect_ex((addr, 80))
try:
    s = socket.socket(socket.AF_UNIX)
    s.connect("/var/run/docker.sock")
    summary["docker_sock"] = "connected"
except OSError as e:
    summary["docker_sock"] = type(e).__name__
print(json.dumps(summary), file=sys.stderr, flush=True)
serve(int(sys.argv[1]))
