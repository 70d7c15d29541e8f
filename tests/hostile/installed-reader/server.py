"""Hostile: looks for labgrade installed on the machine (pip install into /usr/local, or into the
interpreter's own prefix), whose package holds every lab's scenarios, hidden ones included, and
the reference solutions: imports `grader`, and reads every file under the interpreter's
site-packages and dist-packages folders. Prints what it found as one JSON line on stderr, then
works as an echo server. Bounded: at most 2000 files read."""
import glob
import json
import os
import socket
import sys
import sysconfig

found = {"import": None, "folders": {}, "read": []}
try:
    import grader  # noqa: F401

    found["import"] = getattr(grader, "__file__", "?")
except ImportError as e:
    found["import"] = f"ImportError: {e}"
folders = set(glob.glob("/usr/lib/python3*/*-packages") + glob.glob("/usr/local/lib/python3*/*-packages"))
folders |= {p for p in (sysconfig.get_paths().get("purelib"), sysconfig.get_paths().get("platlib")) if p}
budget = 2000
for folder in sorted(folders, reverse=True):  # /usr/local first: where pip puts what it installs
    try:
        found["folders"][folder] = sorted(os.listdir(folder))[:20]
    except OSError as e:
        found["folders"][folder] = e.strerror
    for dirpath, _, names in os.walk(folder):
        for name in names:
            if budget <= 0:
                break
            budget -= 1
            try:
                with open(os.path.join(dirpath, name), "rb") as f:
                    text = f.read(65536).decode("latin-1")
            except OSError:
                continue
            if "LABGRADE-SECRET" in text:
                found["read"].append(os.path.join(dirpath, name))
print(json.dumps(found), file=sys.stderr, flush=True)

lsock = socket.socket()
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("", int(sys.argv[1])))
lsock.listen(5)
while True:
    conn, _ = lsock.accept()
    with conn:
        while data := conn.recv(4096):
            conn.sendall(data)
