"""The checks of a scenario's steps that the schema cannot express: every name a step refers to
was defined by an earlier step (the kinds of names and which keys define or refer to them:
grader/driver/stepspec.py), bounds name saved measures, keys that go together.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..driver.i18n import N_, _, ngettext
from ..driver.payload import names_of
from ..driver.steps import BOUND_RE
from ..driver.stepspec import PORT_MEASURES, STEPS, StepSpec, backlog_name, twice, with_key
from ..errors import AssignmentError
from ..text import did_you_mean
from .model import ProgramSpec
from .validation import _in
from .yamlfile import Lines

UNDEFINED = {"client": N_("no client named {name!r} was connected by an earlier step"),  # by what it must name
             "program": N_("no program named {name!r} was started by an earlier step"),
             "server": N_("no server named {name!r} was started by an earlier step"),
             "listener": N_("no listener named {name!r} was started by an earlier step")}


def _expand(args: dict[str, Any], key: str) -> list[str]:
    return names_of({key: args.get(key, ""), "each": args.get("each")}, key)  # as the driver will


class _Names:
    """What the steps so far have defined, to check what later steps refer to."""

    def __init__(self) -> None:
        self.kinds: dict[str, set[str]] = {"client": set(), "program": set(), "server": set(), "listener": set()}
        self.templates: list[re.Pattern[str]] = []  # fill_queue's clients: "q{i}" for any i
        self.saved: set[str] = set()

    def known(self, kind: str, name: str) -> bool:
        if kind == "client" and any(t.fullmatch(name) for t in self.templates):
            return True
        return name in self.kinds[kind] or (kind == "server" and name in self.kinds["listener"])


def check_steps(path: Path, lines: Lines, index: int, steps: list[dict[str, Any]],
                programs: dict[str, ProgramSpec], where: str = "") -> None:
    """What steps refer to was defined by an earlier step; `where` ('scenario "x"') starts messages."""
    names = _Names()
    for n, step in enumerate(steps):
        ((verb, value),) = step.items()
        spec, args = STEPS[verb], with_key(verb, value)  # `start: server` is `start: {program: server}`
        line = lines.get((index, "steps", n), 0)

        def fail(msg: str, line: int = line, n: int = n, verb: str = verb) -> AssignmentError:
            step = (_("{where}, step {step} ({verb}): {problem}") if where else
                    _("step {step} ({verb}): {problem}"))
            return AssignmentError(path, line, step.format(where=where, step=n + 1, verb=verb, problem=msg))

        if both := twice(verb, value):
            raise fail(both)
        if spec.one_of and sum(k in args for k in spec.one_of) != 1:
            raise fail(_("needs exactly one of: {keys}").format(keys=", ".join(spec.one_of)))
        if verb == "expect" and "others" in args and "each" not in args:
            raise fail(_("`others:` needs `each: N` (the clients whose lines are expected)"))
        if verb == "send" and "cut" in args:
            size = len(str(args.get("data", "")).encode())
            if "data" not in args:
                raise fail(_("`cut:` cuts `data:` into pieces: give `data:`"))
            if args["cut"] != sorted(args["cut"]) or args["cut"][-1] >= size:
                raise fail(ngettext("cut: {cut} must be increasing byte offsets inside data ({size} byte)",
                                    "cut: {cut} must be increasing byte offsets inside data ({size} bytes)",
                                    size).format(cut=args["cut"], size=size))
        if verb == "expect_output" and "allow" in args and "end" not in args:
            raise fail(_("`allow:` goes with `end: true` (one last line allowed before the output ends)"))
        for key, regex in (("match", args.get("match")), ("allow", args.get("allow"))):
            if verb == "expect_output" and isinstance(regex, str):
                try:
                    re.compile(regex)
                except re.error as e:
                    raise fail(_("{key}: {regex!r} is not a regular expression ({error})").format(
                        key=key, regex=regex, error=e)) from None
        for arg in spec.args:  # names taken as written (a list, or one name): the key says which is unknown
            values = args.get(arg.name, [])
            if arg.refers and not arg.each:
                for name in [values] if isinstance(values, str) else values:
                    if not names.known(arg.refers, name):
                        raise fail(_in(arg.name, _(UNDEFINED[arg.refers]).format(name=name)))
        if verb == "probe" and args["measure"] != "processes" and "of" not in args:
            raise fail(_("measure {measure!r} needs `of: NAME`").format(measure=args["measure"]))
        for arg in spec.args:  # a name, or with `each: N` the N names "c{i}" stands for
            if not arg.refers or not arg.each or arg.name not in args:
                continue
            kind = "server" if verb == "probe" and args["measure"] in PORT_MEASURES else arg.refers
            for name in _expand(args, arg.name):
                if not names.known(kind, name):
                    raise fail(_(UNDEFINED[kind]).format(name=name))
        for bound in ("at_least", "at_most", "equals"):
            ref = args.get(bound)
            if isinstance(ref, str):
                m = BOUND_RE.fullmatch(ref)
                if not m:
                    raise fail(_("{bound}: {ref!r} is not a bound: write a number, the name of a saved measure, "
                                 "or NAME + N / NAME - N").format(bound=bound, ref=ref))
                if m.group(1) not in names.saved:
                    raise fail(_("{bound}: {ref!r} refers to no measure saved by an earlier step").format(
                        bound=bound, ref=ref))
        if verb == "compare" and args["saved"] not in names.saved:
            raise fail(_("no measure named {name!r} was saved by an earlier step").format(name=args["saved"]))
        _define(spec, args, names, programs, fail)


def _define(spec: StepSpec, args: Any, names: _Names, programs: dict[str, ProgramSpec],
            fail: Callable[[str], AssignmentError]) -> None:
    """The names the step gives (the keys that `define` one, stepspec.py) known to the next steps."""
    if spec.name == "start":  # a program of assignment.yaml, under its own name unless `as:` gives one
        program = args["program"]
        if program not in programs:
            raise fail(_("unknown program {name!r}{hint} (assignment.yaml defines: {programs})").format(
                name=program, hint=did_you_mean(program, programs), programs=", ".join(programs)))
        name = args.get("as", program)
        names.kinds["program"].add(name)
        if programs[program].kind == "server":
            names.kinds["server"].add(name)
            names.saved.add(backlog_name(name, args))  # the driver saves each server's listen backlog
        elif "save" in args:
            raise fail(_("`save:` keeps a server's listen backlog, and {name!r} is a client (assignment.yaml: "
                         "`kind: client`): remove `save:`").format(name=program))
        return
    for arg in spec.args:
        if not arg.defines or arg.name not in args:
            continue
        if arg.defines == "clients":  # "q{i}": q1, q2, ... as many as got in
            names.templates.append(re.compile(re.escape(args[arg.name]).replace(re.escape("{i}"), r"\d+")))
        elif arg.defines == "measure":
            names.saved.add(args[arg.name])
        else:
            names.kinds[arg.defines].update(_expand(args, arg.name))
