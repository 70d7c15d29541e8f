"""Steps of scripted TCP peers: clients that connect to the student's server, servers the
student's client connects to, and how their connections end. What they send is in send_steps.py,
what they expect in expect_steps.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .endpoints import Conn, Listener
from .expect_steps import ExpectSteps
from .i18n import _
from .loop import Deadline
from .payload import names_of, text_of
from .runner import DEFAULT_WITHIN, StepFailed, plural
from .send_steps import SendSteps


class ConnSteps(SendSteps, ExpectSteps):
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
        `accepted: true` also waits for the server's accept() of each (its accept queue empty), then
        for the sandbox to settle, so that a message sent next is due to every client; a listener
        that is gone fails."""
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
        # what the server does with a connection it accepted (add it to its clients, from a thread
        # perhaps, greet it) has happened before the next step, on every run
        self.settle()

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
        self.settle()

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
