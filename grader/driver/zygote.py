"""The driver server: one warm process that forks a driver into fresh namespaces. Standard library only.

    python3 -I -S -c BOOT LIB [NETNS_FD]       (stdin: one end of a Unix socket pair with the host)
    python3 -I -S -c BOOT LIB --connect PATH BUCKETS   (the host listens at PATH: docker's warm container)

Theory of operation. Starting a driver the plain way (`unshare ... python3 -m grader.driver`)
costs an interpreter's start and the driver's imports, ~30 ms of CPU per scenario
(bench/RESULTS.md), which a class of a hundred submissions of 15 scenarios pays 1,500 times.
This process pays it once: it imports the driver, then for each request (three descriptors sent
with SCM_RIGHTS: the driver's stdin, stdout and stderr) forks
  * a keeper, which joins the run's own network namespace (root: `setns`, see local.py), makes
    new mount, network, IPC, UTS and PID namespaces (and, for a normal user, a user namespace
    mapping its uid to root), and forks
  * the driver, PID 1 of the new PID namespace, which mounts its own /proc and runs
    `grader.driver.__main__.main()` on the descriptors, as `unshare --fork --kill-child
    --mount-proc` then `python3 -m grader.driver` would.
It answers with the keeper's pid and a pidfd of it. The local backend runs it on the host; the
docker backend's warm container runs it as its PID 1 (grader/sandbox/docker/warm.py). The host kills
the keeper to end the sandbox: the driver gets SIGKILL when its keeper dies (PR_SET_PDEATHSIG, as `--kill-child`),
and the kernel ends everything else in the PID namespace with it. The keeper dies with this
server, and this server with the host's thread that started it (`setpriv --pdeathsig`; in the
warm container, when the host's end of its socket closes), so nothing outlives a grader that
dies. A driver forked here is a fresh process with the state of a fresh interpreter that
imported the driver: the server never runs a plan itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import select
import signal
import socket
import sys

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 0x2, 0x4, 0x8, 0x4000, 0x40000
PR_SET_PDEATHSIG = 1
NAMESPACES = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNET


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _die_with_parent(parent: int | None) -> None:
    """SIGKILL when the parent dies (already dead: now). A parent in another PID namespace has no
    pid here (None): a driver whose keeper died before this finds its stdin closed, and exits."""
    _check(_libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(PR_SET_PDEATHSIG)")
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def _write(path: str, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)


def _driver(fds: list[int]) -> None:
    """PID 1 of the new namespaces: its own /proc, the host's pipes as 0, 1, 2, then the driver."""
    _die_with_parent(None)
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
    _check(_libc.mount(b"none", b"/proc", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /proc")
    _check(_libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, None), "mount /proc")
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    from .__main__ import main

    main()


def _keeper(fds: list[int], netns: int | None, server: int) -> None:
    """In the host's PID namespace: makes the namespaces, forks the driver into them, and lives
    as long as it (its exit status is the driver's); killed, it takes the driver with it."""
    _die_with_parent(server)
    uid, gid = os.getuid(), os.getgid()
    if netns is not None:
        _check(_libc.setns(netns, CLONE_NEWNET), "setns")
    _check(_libc.unshare(NAMESPACES | (CLONE_NEWUSER if uid else 0)), "unshare")
    if uid:  # a normal user: root inside, its own uid outside (unshare --map-root-user)
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"0 {uid} 1")
        _write("/proc/self/gid_map", f"0 {gid} 1")
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    pid = os.fork()
    if pid == 0:
        try:
            _driver(fds)
        except BaseException:  # on the driver's stderr, which the host shows
            import traceback

            traceback.print_exc()
        finally:
            os._exit(1)  # main() leaves with os._exit itself
    for fd in fds:
        os.close(fd)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def _try_sandbox(jail: str, procs: list[str]) -> bytes:
    """What a driver does first, tried once: new namespaces, its own /proc, a tmpfs at `jail`,
    and a move into the cgroups whose cgroup.procs are `procs`. b"ok", or what failed."""
    said, tell = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            _check(_libc.unshare(NAMESPACES), "unshare")
            _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
            child = os.fork()
            if child == 0:
                try:
                    flags = MS_NOSUID | MS_NOEXEC | MS_NODEV
                    _check(_libc.mount(b"proc", b"/proc", b"proc", flags, None), "mount /proc")
                    _check(_libc.mount(b"tmpfs", jail.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, b"size=1m"),
                           f"mount a tmpfs at {jail}")
                    for path in procs:
                        _write(path, str(os.getpid()))
                except BaseException as e:
                    os.write(tell, f"{type(e).__name__}: {e}".encode())
                    os._exit(1)
                os._exit(0)
            _, status = os.waitpid(child, 0)
            os._exit(0 if status == 0 else 1)
        except BaseException as e:
            os.write(tell, f"{type(e).__name__}: {e}".encode())
            os._exit(1)
    os.close(tell)
    _, status = os.waitpid(pid, 0)
    why = os.read(said, 4096)
    os.close(said)
    return b"ok" if status == 0 else why or b"failed"


def serve(host: socket.socket, netns: int | None) -> None:
    """Fork a sandboxed driver for each request until the host closes its end. A request
    `channel` (one descriptor: a Unix socket) opens another channel, served as this one: the
    docker backend's warm container serves a whole class, each submission's pytest run on a
    channel of its own. When a channel closes, the keepers forked for it are killed (its
    scenarios end with them); when the first one closes, the server exits."""
    me = os.getpid()
    channels = {host.fileno(): (host, set[int]())}  # a channel -> the keepers forked for it
    while True:
        for fd in select.select(list(channels), [], [])[0]:
            channel, keepers = channels[fd]
            try:
                message, fds, _, _ = socket.recv_fds(channel, 4096, 3)
            except OSError:
                message, fds = b"", []
            if message == b"channel" and len(fds) == 1:
                added = socket.socket(fileno=fds[0])
                channels[added.fileno()] = (added, set())
            elif message.startswith(b"check\0"):
                _, jail, *procs = message.decode().split("\0")
                channel.sendall(_try_sandbox(jail, procs))
            elif len(fds) == 3:
                keepers.add(_fork_keeper(channel, fds, netns, me, [c for c, _ in channels.values()]))
            else:  # the host closed this channel
                if channel is host:
                    os._exit(0)
                for pid in keepers:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                del channels[fd]
                channel.close()
        while True:  # keepers that ended (the host watches them through their pidfds)
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            for _, keepers in channels.values():
                keepers.discard(pid)


def _fork_keeper(channel: socket.socket, fds: list[int], netns: int | None, me: int,
                 channels: list[socket.socket]) -> int:
    """A keeper for a driver on `fds` (its stdin, stdout, stderr); its pid and a pidfd of it go
    back on `channel`."""
    pid = os.fork()
    if pid == 0:
        try:
            for c in channels:
                c.close()
            _keeper(fds, netns, me)
        except BaseException as e:  # said on the driver's stderr, which the host shows
            os.write(fds[2], f"labgrade driver server: {type(e).__name__}: {e}\n".encode())
        finally:
            os._exit(125)
    for fd in fds:
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    socket.send_fds(channel, [str(pid).encode()], [pidfd])
    os.close(pidfd)
    return pid


def _own_tcp_table(buckets: int) -> None:
    """Move to a network namespace of its own whose `net.ipv4.tcp_child_ehash_entries` is `buckets`,
    so that the scenarios' namespaces, made from it, each get a small TCP hash table of their own
    (what the local backend's parent_netns does on the host; docs/kernel.md, "Sockets, seen through
    sock_diag"). /proc/sys is read-only in a container: a /proc of its own, in a mount namespace
    of its own, is not. An older kernel without the setting keeps the shared table."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount --make-rprivate /")
    _check(_libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NOEXEC | MS_NODEV, None), "mount /proc")
    with contextlib.suppress(OSError):
        _write("/proc/sys/net/ipv4/tcp_child_ehash_entries", str(buckets))


def main(argv: list[str]) -> None:
    """`[NETNS_FD]`: the host's socket is stdin; `--connect PATH BUCKETS`: the host listens at PATH
    (the docker backend's warm container, grader/sandbox/docker/warm.py), and the scenarios' network
    namespaces get TCP hash tables of BUCKETS buckets."""
    if argv[:1] == ["--connect"]:
        host = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        host.connect(argv[1])
        _own_tcp_table(int(argv[2]))
        argv = argv[3:]
    else:
        host = socket.socket(fileno=os.dup(0))
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)  # stderr stays: what goes wrong here is seen in the host's log
    os.close(devnull)
    from . import (
        __main__,  # noqa: F401 - imported once here, not by every driver
        i18n,
        wire,
    )
    from .rootfs import installed_packages, interpreter_prefix

    # what every driver would otherwise work out again (~3 ms of CPU each): once, here
    installed_packages(interpreter_prefix(sys.executable))  # the drivers' interpreter
    for lang in i18n.LANGUAGES:
        i18n.translation(lang)  # the catalogs, parsed
    wire.warm()  # the plan's types, their annotations evaluated

    gc.freeze()  # what is imported stays out of every driver's collections: they would write to (and so
    # copy) each page of it
    serve(host, int(argv[0]) if argv else None)


if __name__ == "__main__":
    main(sys.argv[1:])
