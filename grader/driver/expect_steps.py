"""Steps that check what scripted TCP peers receive: `expect` (exact bytes, lines, a part, an
echo, what another client sent) and `expect_silence`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .i18n import _
from .loop import Deadline
from .matching import MATCHED, MISMATCH, Exact, Match, describe_mismatch, match_contains, match_lines, show
from .payload import names_of, text_of
from .runner import RunnerBase, StepFailed


class ExpectSteps(RunnerBase):
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
        self.settle()
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
