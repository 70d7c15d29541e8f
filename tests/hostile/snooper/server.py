"""Hostile: looks for anything of the host it can read (../, /, the assignment, the reference
solutions, other submissions, /etc/shadow, other processes' command lines and environments),
prints what it read, then works as a correct echo server.

The test adds symlinks to the host's files in its folder (they must resolve inside the sandbox only).
The last line on stderr is a short JSON summary: the tokens "LABGRADE-SECRET-..." found in any file,
which files it could read outside its own folder, and a hash of every server.py/client.py."""
import hashlib
import json
import os
import re
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


TOKEN = re.compile(rb"LABGRADE-SECRET-[0-9a-f]+")
SKIP = ("/proc", "/sys", "/dev", "/usr", "/submission")
found = {"tokens": [], "read": [], "hashes": {}, "shadow": False, "listed": {}}


def look(path):
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 20)
    except OSError:
        return
    found["tokens"] += [t.decode() for t in TOKEN.findall(data)]
    if os.path.basename(path) in ("server.py", "client.py") and not path.startswith(("/submission", "../")):
        found["hashes"][path] = hashlib.sha256(data).hexdigest()
    if not path.startswith(("/submission", "../submission")):
        found["read"].append(path)
        if len(found["read"]) <= 20:
            print(f"read {path}: {data[:80]!r}", file=sys.stderr)


for d in ("..", "/tmp", "/grader", "/grader/reference"):
    try:
        found["listed"][d] = sorted(os.listdir(d))[:12]
    except OSError as e:
        found["listed"][d] = type(e).__name__
files = 0
for top in ("/", os.path.abspath(".."), os.path.abspath("../.."), "/grader"):
    for root, dirs, names in os.walk(top):  # bounded: at most 20000 files
        dirs[:] = [d for d in dirs if not os.path.abspath(os.path.join(root, d)).startswith(SKIP)]
        for n in names:
            files += 1
            if files < 20000:
                look(os.path.join(root, n))
for p in ("/etc/shadow", "../../../../../../etc/shadow", "/proc/1/root/etc/shadow", "/proc/1/environ"):
    look(p)
for root, dirs, names in os.walk("/submission", followlinks=True):  # its own files, through any symlink
    for n in names[:200]:  # bounded
        look(os.path.join(root, n))
    if root.count("/") > 4:
        dirs[:] = []
found["shadow"] = any(p.endswith("shadow") for p in found["read"])
try:  # where each mount comes from on the host: a path may tell the grader's layout
    with open("/proc/self/mountinfo") as f:
        found["mount_roots"] = sorted({line.split()[3] for line in f if len(line.split()) > 3})[:15]
except OSError as e:
    found["mount_roots"] = [type(e).__name__]
for pid in filter(str.isdigit, os.listdir("/proc")):
    for what in ("cmdline", "environ"):
        look(f"/proc/{pid}/{what}")
# short: the grader keeps the last 2000 bytes of stderr (where a whole checkout is readable, as in a
# container that leaves it so, only the first few of each, references first)
found["read"] = [p for p in sorted(set(found["read"])) if not p.startswith("/proc/")][:8]
found["tokens"] = sorted(set(found["tokens"]))
found["hashes"] = dict(sorted(found["hashes"].items(), key=lambda kv: ("reference" not in kv[0], kv[0]))[:4])
print(json.dumps(found), file=sys.stderr, flush=True)
serve(int(sys.argv[1]))
