"""Hostile: writes 200 MB on stdout (1 MB at a time), then exits without listening."""
import sys

chunk = b"flood " * 166666 + b"...\n"  # 1,000,000 bytes
for _ in range(200):
    sys.stdout.buffer.write(chunk)
sys.stdout.buffer.flush()
