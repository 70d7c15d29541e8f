"""Hostile (by accident): a working server, handed in with a folder of 10,000 files.
tests/integration/test_hostile.py writes them (junk/f00000 ... f09999) into its copy: the
grader must refuse the folder with a reason, without copying it."""
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


serve(int(sys.argv[1]))
