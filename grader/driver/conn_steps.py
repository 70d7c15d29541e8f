"""Steps of scripted TCP peers: clients that connect to the student's server, servers the
student's client connects to, and what they send and expect.

Delivery in pieces (`send: {pieces: [...]}`) is exact on any load: the next piece is sent only
once the program's socket has received the previous one and its receive queue is empty again,
i.e. the program's recv() took it alone (docs/kernel.md). A flood (`flood:`) makes a slow reader
certain: the held connections stop reading while data is sent, until the program cannot go on
(its send queue is full: the sandbox settles with the grader unable to write) or `max` bytes
were sent; then they read again, and a later `expect` checks that every byte arrived.
"""

from __future__ import annotations

import itertools
import os
import random
from collections.abc import Callable
from typing import Any

from . import probes, settle, sockdiag
from .endpoints import Conn, Listener
from .i18n import _
from .loop import Deadline
from .matching import MATCHED, MISMATCH, Exact, Match, describe_mismatch, match_contains, match_lines, show
from .runner import DEFAULT_WITHIN, SETTLE_LIMIT, RunnerBase, StepFailed, names_of, plural, text_of

FLOOD_MAX = 16 << 20  # bytes at most (a loopback connection's buffers can hold tens of MiB: flood_limit)
FLOOD_CHUNK = 256 << 10  # bytes queued in the grader at a time
FLOOD_LINE = 8000  # bytes of a flood line: longer than a usual recv(4096), so a recv() holds at most one end of line
FLOOD_WITHIN = 20.0  # seconds


def flood_limit(held: list[Conn]) -> int:
    """Bytes past which a program that has not waited yet never will: what it can have read with
    every byte still in the kernel is its send buffer at its largest (tcp_wmem's maximum, or twice
    the SO_SNDBUF it may set), what the held clients' receive buffers hold, and what is in flight
    (FLOOD_CHUNK, the flood's pace); FLOOD_MAX at most."""
    send = max(probes.sysctl_max("net/ipv4/tcp_wmem"), 2 * probes.sysctl_max("net/core/wmem_max"))
    receive = max((h.receive_capacity() for h in held), default=0)
    return min(FLOOD_MAX, send + receive + 2 * FLOOD_CHUNK) if send else FLOOD_MAX


class ConnSteps(RunnerBase):
    def listen(self, args: dict[str, Any]) -> None:
        """A scripted server: the grader listens, the student's client connects to it."""
        name = args["as"]
        port = self.new_port(name)
        self.listeners[name] = Listener(name, self.host, port, int(args.get("backlog", 16)), self.loop, self.log)

    def accept(self, args: dict[str, Any]) -> None:
        listener = self.listeners.get(args["of"])
        if listener is None:
            raise StepFailed(_("no listener named {name!r} was started before this step").format(name=args["of"]))
        clients = [p for p in self.programs.values() if p.target_port == listener.port]

        def accepted() -> Any:
            if listener.pending:
                return listener.pending.popleft()
            if clients and all(p.returncode is not None for p in clients):
                p = clients[0]
                raise StepFailed(_("{name} {ended} without connecting to port {port}").format(
                    name=p.name, ended=p.exit_text(), port=listener.port),
                    expected=_("a connection to port {port}").format(port=listener.port), observed=p.exit_text())
            return None

        sock = self.wait_for(accepted, self.within(args))
        if sock is None:
            raise StepFailed(_("no connection came to {name} {when}").format(name=listener.name, when=self.when(args)),
                             expected=_("the client connects to port {port}").format(port=listener.port),
                             observed=_("no connection"))
        self.conns[args["as"]] = Conn(args["as"], self.loop, self.log, sock=sock)

    def _queue_has_room(self, port: int) -> bool | None:
        backlog, queued = self.listening(port) or (0, 0)
        return True if queued < backlog or not backlog else None

    def _listener_gone(self, port: int) -> StepFailed:
        server = self.server_at(port)
        if server is not None:  # a process closes its sockets a moment before it can be reaped
            self.loop.wait_until(lambda: server.returncode is not None or None, Deadline.after(0.5, self.deadline))
        if server is not None and server.returncode is not None:
            return StepFailed(_("{name} {ended}: nothing listens on port {port} any more").format(
                name=server.name, ended=server.exit_text(), port=port),
                expected=_("the server running and accepting"), observed=server.exit_text())
        return StepFailed(_("nothing listens on port {port} any more: the server closed its listening socket").format(
            port=port), expected=_("the server accepting connections"), observed=_("no listening socket"))

    def connect(self, args: dict[str, Any]) -> None:
        """Connect clients; several are paced so that none is dropped by a full accept queue
        (a dropped SYN is only retried a second later): they still end up connected at once.
        `accepted: true` also waits for the server's accept() of each (its accept queue empty),
        so that a message sent next is due to every client; a listener that is gone fails."""
        names = names_of(args)
        port = self.port_of(args)

        def accepted() -> int:
            """Connections of this step established and taken from the listen queue: the server's
            progress, which restarts the step's `within` (while_moving)."""
            connected = sum(1 for n in names if n in self.conns and self.conns[n].connected)
            return connected - (self.listening(port) or (0, 0))[1]

        def wait(condition: Callable[[], bool | None]) -> bool | None:
            return self.while_moving(lambda: self.wait_for(condition, self.within(args)), accepted, _("the server"),
                                     "connection")

        for n in names:
            if len(names) > 1 and not wait(lambda: self._queue_has_room(port)):
                break
            c = self.conns[n] = Conn(n, self.loop, self.log, receive_buffer=args.get("receive_buffer"),
                                     mss=args.get("mss"))
            c.start_connect(self.host, port)
        names = [n for n in names if n in self.conns]
        ok = len(names) == len(names_of(args)) and wait(
            lambda: all(self.conns[n].connected or self.conns[n].error for n in names) or None)
        failed = [n for n in names if self.conns[n].error]
        if failed:
            raise StepFailed(_("{name} could not connect to port {port}: {error}").format(
                name=failed[0], port=port, error=self.conns[failed[0]].error),
                expected=_("the connection accepted"), observed=self.conns[failed[0]].error or "")
        if not ok:
            pending = [n for n in names_of(args) if n not in self.conns or not self.conns[n].connected]
            backlog, queued = self.listening(port) or (0, 0)
            seen = (_("the listen queue stayed full ({queued} connections waiting, backlog {backlog}): the server is "
                      "not calling accept()").format(queued=queued, backlog=backlog)
                    if backlog and queued >= backlog else _("no answer"))
            raise StepFailed(_("{count} not established {when} ({names})").format(
                count=plural(len(pending), "connection"), when=self.when(args), names=", ".join(pending[:5])),
                expected=_("{count} connected").format(count=plural(len(names_of(args)), "client")), observed=seen)
        if not args.get("accepted"):
            return

        def drained() -> bool | None:
            queue = self.listening(port)
            if queue is None:
                raise self._listener_gone(port)
            return True if queue[1] == 0 else None

        if not wait(drained):
            waiting = (self.listening(port) or (0, 0))[1]
            raise StepFailed(_("the server did not accept() {count} {when}").format(
                count=plural(waiting, "connection"), when=self.when(args)),
                expected=_("every connection accepted"),
                observed=_("{count} waiting in the listen queue").format(count=waiting))

    # -- sending ---------------------------------------------------------------------------
    def send(self, args: dict[str, Any]) -> None:
        names = names_of(args)
        if "pieces" in args or "cut" in args:
            for i, n in enumerate(names, 1):
                self._send_pieces(self.conn(n), pieces_of(args, i), self.within(args))
            return
        for i, n in enumerate(names, 1):
            rng = random.Random(f"{self.plan.seed}/{n}/{len(self.conn(n).sent)}")
            if "random" in args:
                data = rng.randbytes(args["random"])
            elif "random_text" in args:
                data = random_text(rng, args["random_text"])
            else:
                data = text_of(args["data"], args, i)
            self.conn(n).send(data)
        self._wait_written(names, args)

    def _wait_written(self, names: list[str], args: dict[str, Any]) -> None:
        done = self.wait_for(
            lambda: all(not self.conns[n].txbuf or self.conns[n].error for n in names) or None, self.within(args))
        for n in names:
            c = self.conns[n]
            if c.error:
                raise StepFailed(_("{name} could not send: {error}").format(name=n, error=c.error),
                                 expected=_("the server reads what it is sent"),
                                 observed=_("{error} after {count} bytes").format(error=c.error, count=c.written))
        if not done:
            stuck = next(n for n in names if self.conns[n].txbuf)
            self.check_could_send(self.conns[stuck])
            raise StepFailed(_("{name} could not send everything: the server stopped reading").format(name=stuck),
                             expected=_("{count} bytes accepted").format(count=len(self.conns[stuck].sent)),
                             observed=_("{count} bytes still waiting {when}").format(
                                 count=len(self.conns[stuck].txbuf), when=self.when(args)))

    def _send_pieces(self, c: Conn, pieces: list[bytes], deadline: Deadline) -> None:
        """Each piece alone: the next one leaves once the program's socket received this one, its
        receive queue is empty again (the program's recv() returned it, and only it), and the
        sandbox settled: what the program does with the piece is done before the next one leaves,
        so that a program that closes the connection after one recv() has closed it by then, on
        every run (the same step fails, with the same words)."""
        def closed(k: int) -> StepFailed:
            return StepFailed(_("{name} could not send piece {k} of {count}: the connection was {ending}")
                              .format(name=c.name, k=k, count=len(pieces), ending=c.ending() or _("closed"))
                              + (f" ({c.error})" if c.error else ""),
                              expected=_("the program reads each piece"), observed=c.ending() or str(c.error))

        for k, piece in enumerate(pieces):
            c.send(piece)
            if k == len(pieces) - 1:
                break
            target = c.written + len(c.txbuf)

            def read_alone(k: int = k, target: int = target) -> bool | None:
                if c.error or c.eof:
                    raise closed(k + 2)
                if c.txbuf:
                    return None
                peer = sockdiag.peer_of(sockdiag.tcp_sockets(), *c.ports)
                if peer is None or peer.received is None:
                    return True  # the kernel does not say (the peer left): nothing more to wait for
                return True if peer.received >= target and peer.rqueue == 0 else None

            if not self.wait_for(read_alone, deadline):
                self.check_could_send(c)
                raise StepFailed(_("the program did not read piece {k} of {count} sent by {name} ({piece}) {when}")
                                 .format(k=k + 1, count=len(pieces), name=c.name, piece=show(piece),
                                         when=self.when({})),
                                 expected=_("recv() returns it"), observed=_("still waiting in its socket"))
            self.log.add(c.name, _("piece {k} of {count} was read by the program").format(k=k + 1, count=len(pieces)))
            self.settle(Deadline.after(SETTLE_LIMIT, deadline))
            if c.error or c.eof:
                raise closed(k + 2)

    def flood(self, args: dict[str, Any]) -> None:
        """`as` sends while the `hold` connections (default: `as` itself) do not read, until the
        sandbox settles (the program waits: its send queue is full, or it has dealt with all of
        it) or `max` bytes were sent and it settled; then they read again."""
        c = self.conn(args["as"])
        held = [self.conn(n) for n in args.get("hold", [args["as"]])]
        limit = int(args.get("max", flood_limit(held)))
        rng = random.Random(f"{self.plan.seed}/{c.name}/flood")
        line = rng.randbytes(FLOOD_LINE - 1).translate(AS_TEXT) + b"\n"
        for h in held:
            h.hold()
        queued = [0]
        before: list[settle.Snapshot | None] = [None]

        def unread_by_program() -> int:
            """The bytes of c the program has not read yet (in c's send queue, or its own receive
            queue): the flood goes at the program's pace, so
            that what piles up is its send queue (the point), not megabytes it must still read
            once the clients read again (a program that reads byte by byte would pay in CPU)."""
            try:
                here, there = c.sock.getsockname()[1], c.sock.getpeername()[1]
            except OSError:
                return 0
            sockets = sockdiag.tcp_sockets()
            ours, theirs = sockdiag.peer_of(sockets, there, here), sockdiag.peer_of(sockets, here, there)
            return (ours.wqueue if ours else 0) + (theirs.rqueue if theirs else 0)  # on its way, or arrived

        def settled() -> str | None:
            if c.error or c.eof:
                return "ended"
            if len(c.txbuf) < FLOOD_CHUNK // 2 and queued[0] < limit and unread_by_program() < FLOOD_CHUNK:
                size = min(FLOOD_CHUNK, limit - queued[0])
                chunk = line * max(1, size // FLOOD_LINE) if args.get("lines") else rng.randbytes(size)  # whole lines
                queued[0] += len(chunk)
                c.send(chunk)
                before[0] = None
                return None
            if queued[0] >= limit and not c.txbuf and unread_by_program() == 0:
                return "all read"  # certain: nothing more is sent, and what it read stays read (even
                # while it spins: a program that never sleeps never settles)
            now = settle.take(os.getpid(), held=self.held())
            done = settle.settled(before[0], now)
            before[0] = now
            return ("stalled" if c.txbuf else "all read") if done else None

        how = self.while_moving(lambda: self.loop.wait_until(settled, self.within(args, FLOOD_WITHIN), poll=True),
                                lambda: c.written, c.name)
        for h in held:
            h.release()
        if how == "ended":
            raise StepFailed(_("{name} could not go on sending: the connection was {ending}").format(
                name=c.name, ending=c.ending() or _("closed")) + (f" ({c.error})" if c.error else ""),
                expected=_("the program reads what it is sent"),
                observed=_("{error} after {count} bytes").format(error=c.ending() or c.error, count=c.written))
        if how is None:
            raise StepFailed(_("{name} sent {count} bytes in {seconds} s, and the program never waited").format(
                name=c.name, count=c.written, seconds=args.get("within", FLOOD_WITHIN)),
                expected=_("the program keeps up, or waits while the client does not read"),
                observed=_("{count} bytes sent").format(count=c.written))
        why = (_("the program stopped reading: it waits until the clients held read again") if how == "stalled"
               else _("the program read everything"))
        self.log.add(c.name, _("flooded {count} bytes").format(count=c.written), why)

    # -- expecting -------------------------------------------------------------------------
    def _expectation(self, args: dict[str, Any], n: str, i: int) -> tuple[Callable[[bytearray, int], Match], bytes]:
        """What `expect` waits for on client n: a matcher over (its received bytes, the cursor),
        and what to show."""
        c = self.conn(n)
        if "others" in args:  # a line from each of the other clients, in any order
            lines = [str(args["others"]).replace("{j}", str(j)).encode() for j in range(1, args["each"] + 1) if j != i]
            return (lambda rx, at: match_lines(lines, bytes(rx[at:]))), b"".join(lines)
        if "lines" in args:
            lines = [str(line).encode() for line in args["lines"]]
            return (lambda rx, at: match_lines(lines, bytes(rx[at:]))), b"".join(lines)
        if "contains" in args:  # leniency: anything before, and what follows is not judged either
            part = text_of(args["contains"], args, i)
            return (lambda rx, at: match_contains(part, bytes(rx[at:]))), part
        if "sent_by" in args:
            sender = self.conn(args["sent_by"])
            want = bytes(sender.sent[c.from_cursors.get(sender.name, 0):])
        elif args.get("echo"):
            want = bytes(c.sent[c.echo_cursor:])
        else:
            want = text_of(args["data"], args, i)
        return Exact(want).feed, want

    def _wrong_bytes(self, n: str, want: bytes, m: Match) -> StepFailed:
        """The failure of an expect that received other bytes, shown once the sandbox settled:
        what the program sends after the first wrong byte has arrived, the same on every run."""
        self.settle(Deadline.after(SETTLE_LIMIT, self.deadline))
        got = self.conns[n].unread
        return StepFailed(_("{name} received the wrong bytes: {wrong}").format(
            name=n, wrong=describe_mismatch(want, got, m.offset)), expected=show(want), observed=show(got))

    def expect(self, args: dict[str, Any]) -> None:
        names = names_of(args)
        wanted = {n: self._expectation(args, n, i) for i, n in enumerate(names, 1)}
        done: dict[str, int] = {}
        for n in names:
            self.conns[n].expected = "contains" not in args

        def verdicts() -> bool | None:
            for n in names:
                c = self.conns[n]
                if n in done:
                    continue
                m = wanted[n][0](c.rx, c.cursor)
                if m.state == MATCHED:
                    done[n] = m.consumed
                elif m.state == MISMATCH:
                    raise self._wrong_bytes(n, wanted[n][1], m)
                elif c.eof or c.closed:
                    got = c.unread
                    raise StepFailed(_("the connection of {name} was {ending} after {got} of {count} expected "
                                       "bytes").format(name=n, ending=c.ending() or _("closed"), got=len(got),
                                                       count=len(wanted[n][1]))
                                     + (f" ({c.error})" if c.error else ""),
                                     expected=show(wanted[n][1]), observed=show(got))
            return True if len(done) == len(names) else None

        def arrived() -> int:  # bytes received (kept or not) by these clients: it only grows
            return sum(len(self.conns[n].rx) + self.conns[n].dropped for n in names)

        if not self.while_moving(lambda: self.wait_for(verdicts, self.within(args)), arrived, ", ".join(names[:5])):
            late = [n for n in names if n not in done]
            got = self.conns[late[0]].unread
            who = f"{late[0]}" if len(late) == 1 else _("{late} of {count} clients ({names})").format(
                late=len(late), count=len(names), names=", ".join(late[:5]))
            raise StepFailed(_("{who}: {when}, {got} of {count} expected bytes had arrived{note}").format(
                who=who, when=self.when(args), got=len(got), count=len(wanted[late[0]][1]),
                note=self.conns[late[0]].kept_note()),
                expected=show(wanted[late[0]][1]), observed=show(got) if got else _("nothing"))
        for n in names:
            c = self.conns[n]
            c.cursor += done[n]
            if "sent_by" in args:
                c.from_cursors[args["sent_by"]] = len(self.conns[args["sent_by"]].sent)
            else:
                c.echo_cursor = len(c.sent)  # what was sent before an answer is accounted for

    def expect_silence(self, args: dict[str, Any]) -> None:
        """Nothing arrives on these clients, and they stay open: checked once the sandbox has
        settled (the programs dealt with everything they were sent), and after `for` seconds
        at least when a window is given."""
        names = names_of(args)
        start = {n: len(self.conn(n).rx) for n in names}
        opened_at = Deadline.after(float(args.get("for", 0)), self.deadline)
        settled = self.settle(self.within(args))
        self.loop.wait_until(lambda: None, opened_at)
        noisy = next((n for n in names if len(self.conns[n].rx) > start[n]), None)
        if noisy:
            got = bytes(self.conns[noisy].rx[start[noisy]:])
            raise StepFailed(_("{name} received {data} although nothing was due yet").format(
                name=noisy, data=show(got)), expected=_("nothing"), observed=show(got))
        ended = next((n for n in names if self.conns[n].eof), None)
        if ended:
            c = self.conns[ended]
            raise StepFailed(_("the connection of {name} was {ending} although it should stay open").format(
                name=ended, ending=c.ending()),
                expected=_("the connection open, and nothing received"), observed=c.ending())
        if not settled:
            self.log.grader(_("silence checked without the sandbox settling"))

    def session(self, args: dict[str, Any]) -> None:
        """Clients one after another, each: connect, send `data`, expect it echoed, close."""
        for i, n in enumerate(names_of(args), 1):
            one = {"as": n, "within": args.get("within", DEFAULT_WITHIN), **{k: args[k] for k in ("to",) if k in args}}
            self.connect(one)
            self.send({**one, "data": text_of(args["data"], args, i).decode()})
            self.expect({**one, "echo": True})
            self.close(one)

    # -- ending ----------------------------------------------------------------------------
    def close(self, args: dict[str, Any], reset: bool = False) -> None:
        self._end(args, lambda c: c.close(reset=reset))

    def shutdown(self, args: dict[str, Any]) -> None:
        self._end(args, Conn.shutdown)

    def _end(self, args: dict[str, Any], end: Callable[[Conn], None]) -> None:
        """Close (or shut down) connections, then let the program deal with it: the next step
        begins once the sandbox has settled, so that what a program does on a close (drop the
        client, crash, exit) has happened before it, on every run."""
        names = names_of(args)
        for n in names:
            self.conn(n)
        self.check_before_closing(names)
        for n in names:
            end(self.conns[n])
        self.settle(Deadline.after(SETTLE_LIMIT, self.deadline))

    def reset(self, args: dict[str, Any]) -> None:
        self.close(args, reset=True)

    def expect_closed(self, args: dict[str, Any]) -> None:
        """The peer ends the connection: by default with an orderly close (FIN); `how: reset`
        expects a reset (RST), `how: any` either."""
        names = names_of(args)
        how = args.get("how", "close")
        conns = [self.conn(n) for n in names]
        if not self.wait_for(lambda: all(c.eof for c in conns) or None, self.within(args)):
            open_ = next(c for c in conns if not c.eof)
            raise StepFailed(_("the server did not close the connection of {name}").format(name=open_.name),
                             expected=_("end of stream (recv() returns b'')"),
                             observed=_("connection still open {when}").format(when=self.when(args)))
        self.check_nothing_unexpected(conns)
        want = {"close": False, "reset": True}.get(how)
        for c in conns:
            if want is not None and c.reset_by_peer != want:
                expected = _("an orderly close (FIN: recv() returns b'')") if how == "close" else _("a reset (RST)")
                raise StepFailed(_("the connection of {name} was {ending}, expected {expected}").format(
                    name=c.name, ending=c.ending(), expected=expected), expected=expected, observed=c.ending())


def pieces_of(args: dict[str, Any], i: int) -> list[bytes]:
    """`pieces: [...]`, or `data` (UTF-8) cut at the byte offsets of `cut: [...]`."""
    if "pieces" in args:
        return [text_of(str(p), args, i) for p in args["pieces"]]
    data = text_of(args["data"], args, i)
    at = [0, *args["cut"], len(data)]
    return [data[a:b] for a, b in itertools.pairwise(at) if b > a]


TEXT = b"abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789.,;:!?"
AS_TEXT = bytes(TEXT[b % len(TEXT)] for b in range(256))  # a random byte -> a character of TEXT


def random_text(rng: random.Random, size: int) -> bytes:
    """`size` bytes of printable ASCII lines (up to 80 characters each, the last one ended too).
    Random bytes made characters at once, then cut into lines (0.5 ms for 100 KB, against 10 ms
    with random.choices: every submission's scenario of 100 KB pays it)."""
    out = bytearray(rng.randbytes(size).translate(AS_TEXT))
    at = -1
    for step in rng.randbytes(size // 2 + 1):  # each line: 1 to 79 characters, then its newline
        if (at := at + 2 + step % 79) >= size:
            break
        out[at] = ord("\n")
    if out:
        out[-1] = ord("\n")
    return bytes(out)
