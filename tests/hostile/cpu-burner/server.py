"""Hostile: spins on the CPU for up to 120 s of wall time (bounded) before it would listen."""
import time

end = time.monotonic() + 120
n = 0
while time.monotonic() < end:
    n += 1
