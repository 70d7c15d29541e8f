"""Hostile: listens and accepts, but never answers (each connection is kept open, at most
60 s): the grader's deadlines end the scenario."""
import socket
import sys
import time

lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("", int(sys.argv[1])))
lsock.listen(20)
held = []
end = time.monotonic() + 60
while time.monotonic() < end:  # bounded
    lsock.settimeout(max(0.01, end - time.monotonic()))
    try:
        held.append(lsock.accept()[0])
    except OSError:
        break
