#!/usr/bin/env python3
# Lab 3 -- echo client that retries when the server's queue is full
# Samuel Brun
import socket
import sys
import time

host = sys.argv[1]
port = int(sys.argv[2])
retries_left = int(sys.argv[3]) if len(sys.argv) > 3 else 3

while True:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(2)
    try:
        sock.connect((host, port))
    except socket.timeout:
        sys.stderr.write("connect: timed out (server queue full?)\n")
    except socket.error as e:
        sys.stderr.write("connect: %s\n" % e)
    else:
        break  # connected
    sock.close()
    if retries_left == 0:
        sys.stderr.write("no more retries, giving up\n")
        sys.exit(2)
    retries_left -= 1
    time.sleep(1)

sock.settimeout(None)
replies = sock.makefile("rb")  # read(n) waits for exactly n bytes

while True:
    line = sys.stdin.readline()
    if line == "":
        break
    data = line.encode("utf-8")
    sock.sendall(data)
    sys.stdout.buffer.write(replies.read(len(data)))
    sys.stdout.buffer.flush()

replies.close()
sock.close()
sys.exit(0)
