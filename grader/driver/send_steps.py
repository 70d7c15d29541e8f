"""Steps that send from scripted TCP peers: `send` (all at once, or in pieces) and `flood`.

Delivery in pieces (`send: {pieces: [...]}`) is exact on any load: the next piece is sent only
once the program's socket has received the previous one and its receive queue is empty again,
i.e. the program's recv() took it alone (docs/kernel.md). A flood (`flood:`) makes a slow reader
certain: the held connections stop reading while data is sent, until the program cannot go on
(its send queue is full: the sandbox settles with the grader unable to write) or `max` bytes
were sent; then they read again, and a later `expect` checks that every byte arrived.
"""

from __future__ import annotations

import os
import random
from typing import Any

from . import probes, settle, sockdiag
from .endpoints import Conn
from .i18n import _
from .loop import Deadline
from .matching import show
from .payload import AS_TEXT, names_of, pieces_of, random_text, text_of
from .runner import SETTLE_LIMIT, RunnerBase, StepFailed

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


class SendSteps(RunnerBase):
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
            self.settle(self.span(SETTLE_LIMIT, deadline))
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
