"""Hostile: a fork bomb, capped at 3000 processes (each child sleeps at most 30 s, then exits).

The sandbox's process limit makes fork() fail long before; the error is not handled, so the
server dies before it listens."""
import os
import time

for _ in range(3000):  # bounded
    if os.fork() == 0:
        time.sleep(30)
        os._exit(0)
