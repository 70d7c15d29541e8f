"""Lab 3 echo client with retries. Author: Ethan Colin"""
import socket
import sys
import time


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    retries = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    sock = None
    for attempt in range(1, retries + 2):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect((host, port))
        except OSError as e:
            print(f"attempt {attempt} failed: {e}", file=sys.stderr)
            s.close()
            if attempt <= retries:
                time.sleep(1)
            continue
        s.settimeout(None)
        sock = s
        break
    if sock is None:
        sys.exit(2)

    for line in iter(sys.stdin.readline, ""):
        data = line.encode()
        sock.sendall(data)
        got = b""
        while len(got) < len(data):
            part = sock.recv(4096)
            if not part:
                sys.exit(1)
            got += part
        sys.stdout.buffer.write(got)
        sys.stdout.buffer.flush()
    sock.close()


if __name__ == "__main__":
    main()
