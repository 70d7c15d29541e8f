"""Hostile: a working echo server that ignores SIGTERM and SIGINT, and leaves a double-forked
daemon behind (it sleeps at most 60 s). The grader must kill both and say so."""
import os
import signal
import sys
import time

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


signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGINT, signal.SIG_IGN)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:  # the daemon: no parent, own session, deaf to SIGTERM/SIGINT/SIGHUP
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        time.sleep(60)
    os._exit(0)
os.wait()
serve(int(sys.argv[1]))
