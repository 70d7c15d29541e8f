"""Hostile: looks for what other runs and the grader keep in the kernel, and leaves some behind:
keys (its session keyring, root's and its uid's user keyrings; adds a key), SysV shared memory
and message queues (lists them, creates a 32 MB segment and a queue with a message), POSIX
message queues, and the host name. Prints what it found as one JSON line on stderr, then works
as an echo server. Bounded: one pass, nothing left running."""
import ctypes
import json
import os
import socket
import sys

libc = ctypes.CDLL(None, use_errno=True)
KEYCTL, ADD_KEY = {"x86_64": (250, 248), "aarch64": (219, 217)}.get(os.uname().machine, (-1, -1))
SESSION, USER = -3, -4  # KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING
found = {"hostname": socket.gethostname()}


def keyctl(*args):
    r = libc.syscall(KEYCTL, *args)
    return r if r >= 0 else os.strerror(ctypes.get_errno())


def read_keyring(spec):
    ids = ctypes.create_string_buffer(4096)
    n = keyctl(11, spec, ids, 4096)  # KEYCTL_READ: the key ids it links
    if isinstance(n, str):
        return n
    payloads = []
    for i in range(min(n, 4096) // 4):
        key = int.from_bytes(ids.raw[4 * i:4 * i + 4], "little")
        buf = ctypes.create_string_buffer(4096)
        got = keyctl(11, key, buf, 4096)
        payloads.append(buf.raw[:got].decode("latin-1") if isinstance(got, int) else got)
    return payloads


found["session_keyring"] = read_keyring(SESSION)
found["user_keyring"] = read_keyring(USER)
r = libc.syscall(ADD_KEY, b"user", b"left-behind", b"data for the next student", 25, USER)
found["add_key"] = r if r >= 0 else os.strerror(ctypes.get_errno())

for kind in ("shm", "msg", "sem"):
    try:
        with open(f"/proc/sysvipc/{kind}") as f:
            found[f"sysv_{kind}"] = len(f.read().splitlines()) - 1  # what exists in this IPC namespace
    except OSError as e:
        found[f"sysv_{kind}"] = str(e)
shm = libc.shmget(0x1ABE1, 32 << 20, 0o1666)  # IPC_CREAT | 0666: a 32 MB segment others could attach
found["shmget"] = shm if shm >= 0 else os.strerror(ctypes.get_errno())
if shm >= 0:
    libc.shmat.restype = ctypes.c_void_p
    at = libc.shmat(shm, None, 0)
    if at not in (None, ctypes.c_void_p(-1).value):
        ctypes.memset(at, 0x41, 32 << 20)  # touched: really in memory
msq = libc.msgget(0x1ABE2, 0o1666)
found["msgget"] = msq if msq >= 0 else os.strerror(ctypes.get_errno())
if msq >= 0:
    message = (1).to_bytes(8, "little") + b"left for the next student"  # struct msgbuf: long mtype, then text
    found["msgsnd"] = libc.msgsnd(msq, message, len(message) - 8, 0)
try:
    found["mqueue"] = sorted(os.listdir("/dev/mqueue"))
except OSError as e:
    found["mqueue"] = e.strerror
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
