"""Hostile: fills every place it can write (1 MiB files, at most 64), then writes one file of
up to 64 MiB in /tmp: past the file size limit write() fails ("File too large": Python ignores
SIGXFSZ), or the scratch space runs out first."""
import os
import sys

for place in ("/tmp", ".", "/", "/etc", "/submission", ".."):
    for i in range(64):  # bounded
        try:
            with open(os.path.join(place, f"fill-{i}"), "wb") as f:
                f.write(b"\0" * (1 << 20))
        except OSError as e:
            print(f"{place}: stopped after {i} MiB: {e}", file=sys.stderr)
            break
for i in range(64):
    try:
        os.unlink(f"/tmp/fill-{i}")
    except OSError:
        break
with open("/tmp/big", "wb") as f:
    for _ in range(64):  # bounded: 64 MiB
        f.write(b"\0" * (1 << 20))
        f.flush()
