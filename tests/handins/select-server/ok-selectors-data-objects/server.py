#!/usr/bin/env python3
"""Lab 5 - select-based chat server (selectors version).
Kevin Nguyen, L3 Info
"""
import selectors
import socket
import sys
import types

sel = selectors.DefaultSelector()


def accept(listener):
    conn, addr = listener.accept()
    # per-client state goes into key.data
    state = types.SimpleNamespace(addr=addr, inbuf=bytearray())
    sel.register(conn, selectors.EVENT_READ, data=state)


def close_client(conn):
    sel.unregister(conn)
    conn.close()


def broadcast(line, sender):
    # copy the keys, close_client changes the map
    for key in list(sel.get_map().values()):
        if key.data is None or key.fileobj is sender:
            continue  # listening socket, or the sender itself
        try:
            key.fileobj.sendall(line)
        except OSError:
            close_client(key.fileobj)


def serve_client(key):
    conn, state = key.fileobj, key.data
    try:
        chunk = conn.recv(4096)
    except OSError:
        chunk = b""
    if not chunk:
        close_client(conn)
        return
    state.inbuf += chunk
    while b"\n" in state.inbuf:
        idx = state.inbuf.index(b"\n") + 1
        line = bytes(state.inbuf[:idx])
        del state.inbuf[:idx]
        broadcast(line, conn)


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("", int(sys.argv[1])))
    listener.listen(100)
    sel.register(listener, selectors.EVENT_READ, data=None)

    while True:
        for key, mask in sel.select():
            if key.data is None:
                accept(key.fileobj)
            elif key.fileobj in [k.fileobj for k in sel.get_map().values()]:
                serve_client(key)


if __name__ == "__main__":
    main()
