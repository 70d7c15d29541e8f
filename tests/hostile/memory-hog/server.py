"""Hostile: allocates and touches memory, 64 MiB at a time, up to 4 GiB (bounded)."""
hog = []
for _ in range(64):
    hog.append(bytearray(64 << 20))  # zero-filled by the allocator: the pages are touched
