"""The scenario language in one table: every step, its keys and their types, the names it defines
and refers to, what it does. Standard library only (the driver reads it).

Everything else about the steps is derived from STEPS, and tests hold each to it:
  * the driver's dispatch and short forms (steps.py: `Runner.run_step`, `VERBS`);
  * the JSON Schema of a step (grader/assignment/language.py writes it into
    grader/assignment/schema/scenarios.schema.json; tests/unit/test_stepspec.py fails when the
    committed file differs);
  * the loader's checks of the names a step defines and refers to (grader/assignment/step_checks.py);
  * the check of a step a check written in Python sends (stepcheck.py: `problem`);
  * the step tables of README.md and docs/scenarios.md (grader/assignment/language.py).

A key has one role in every step (`as`, `of`, `to`, `save`, `saved`, `at_least`...:
docs/scenarios.md); an older spelling of a key is declared on it (`Arg.aliases`) and read as it
everywhere (`with_key`), giving both is refused (`twice`).

A key `refers` to a kind of name an earlier step of the scenario defined ("client", "program",
"server", "listener"), or `defines` one: the same kinds, "clients" (a name with `{i}`: any
number of clients, as `fill_queue` connects them) and "measure" (a value saved for later bounds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .i18n import _

# JSON Schema of the values keys take (the patterns are those of the loader's messages, load.py PATTERNS)
NAME = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_{}-]*$"}
SAVED = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"}  # a measure's name: no {i}, no -
TEMPLATE = {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*\\{i\\}$"}  # q{i}: the clients q1, q2, ...
WITHIN = {"type": "number", "exclusiveMinimum": 0, "maximum": 300}  # seconds (a scenario's timeout: 600 at most)
EACH = {"type": "integer", "minimum": 1, "maximum": 500}  # clients at once (a class's largest scenario: 100)
BOUND = {"type": ["integer", "string"]}  # a number, a saved measure's name, or NAME + N / NAME - N
TRUE = {"const": True}
TEXT = {"type": "string"}
BYTES = {"type": "integer", "minimum": 1, "maximum": 16777216}  # 16 MiB: send_steps.FLOOD_MAX
# probe's measures -> what each counts, as feedback says it ("had 3 zombie children": runner.UNITS)
MEASURES = {
    "children": "child process", "zombies": "zombie child", "fds": "open file descriptor", "threads": "thread",
    "processes": "process of the submission", "stdout_lines": "line on stdout", "stderr_lines": "line on stderr",
    "output_lines": "line of output", "backlog": "listen backlog", "accept_queue": "connection waiting to be accepted",
    "cpu_ms": "ms of CPU time", "wakeups": "voluntary context switch",
}
PORT_MEASURES = ("backlog", "accept_queue")  # of a server's listening socket: `of` names a server, not a program
# expect_blocked's system calls, as a student writes them -> the ones the C library makes for each
# (select() is pselect6 on glibc 2.36: docs/kernel.md), which syscalls.family maps back
SYSCALLS = {"select": ("pselect6",), "poll": ("ppoll",), "epoll": ("epoll_wait", "epoll_pwait"),
            "read": ("readv", "pread64"), "recv": ("recvfrom",), "accept": ("accept4",),
            "sleep": ("nanosleep", "clock_nanosleep"), "futex": (), "wait4": ()}
BACKLOG = "{name}_backlog"  # older spelling: a server started without `save:` has its backlog saved under this


@dataclass(frozen=True)
class Arg:
    """One key of a step: its name, the JSON Schema of its value, and the names it is about."""

    name: str
    schema: dict[str, Any] = field(default_factory=lambda: dict(NAME))
    required: bool = False
    refers: str | None = None  # the kind of name it must be, defined by an earlier step
    defines: str | None = None  # the kind of name it gives
    each: bool = True  # a reference: with `each: N`, `{i}` in it names N of them (False: taken as written)
    aliases: tuple[str, ...] = ()  # older spellings of the key, still accepted (docs/scenarios.md, "Older spellings")


@dataclass(frozen=True)
class StepSpec:
    """One step (verb) of the scenario language."""

    name: str
    args: tuple[Arg, ...]
    does: str  # what it does, for docs/scenarios.md
    key: str | None = None  # the key a plain value stands for: `connect: alice` is `connect: {as: alice}`
    short: bool = False  # scenario files may use that short form (checks written in Python always may)
    one_of: tuple[str, ...] = ()  # exactly one of these keys
    description: str = ""  # in the JSON Schema
    handler: str = ""  # the Runner's method (default: the step's name)

    @property
    def method(self) -> str:
        return self.handler or self.name

    @property
    def keys(self) -> dict[str, Arg]:
        return {a.name: a for a in self.args}

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args if a.required)

    @property
    def aliases(self) -> dict[str, str]:
        """An older spelling of a key -> the key."""
        return {old: a.name for a in self.args for old in a.aliases}


def _as(refers: str | None = "client", defines: str | None = None, schema: dict[str, Any] = NAME) -> Arg:
    return Arg("as", dict(schema), required=True, refers=refers, defines=defines)


def _of(kind: str = "program") -> Arg:
    return Arg("of", dict(NAME), required=True, refers=kind)


def _pieces(what: str) -> Arg:
    return Arg("pieces", {"type": "array", "minItems": 2, "items": {"type": "string", "minLength": 1},
                          "description": f"{what} one after another, each once the program has read the previous one"})


EACH_ARG, WITHIN_ARG = Arg("each", dict(EACH)), Arg("within", dict(WITHIN))
TO = Arg("to", dict(NAME), refers="server")  # a server or a listener; default: the first one started
BOUNDS = (Arg("at_least", dict(BOUND)), Arg("at_most", dict(BOUND)), Arg("equals", dict(BOUND)))
CLIENT_END = (_as(), EACH_ARG, WITHIN_ARG)

STEPS: dict[str, StepSpec] = {s.name: s for s in (
    StepSpec("start", (
        Arg("program", dict(NAME), required=True), Arg("from", {"enum": ["student", "reference"]}),
        Arg("as", dict(NAME), defines="program"), Arg("args", {"type": "array", "items": {
            "type": ["string", "integer"], "pattern": "^[^\\u0000]*$"}}), WITHIN_ARG, TO,
        Arg("save", dict(SAVED), defines="measure")),
        "start a program of `assignment.yaml` (`program`) under the name `as` (default: the program's); `from: "
        "student` (default) runs the hand-in, `from: reference` the course's solution; `args` are appended to its "
        "`argv` (`{port}`, `{host}` filled in). A server gets a port of its own and is waited for until it listens "
        "(`within`, default 10 s; `save: name` keeps its listen backlog, for `compare`); a client connects to `to` "
        "(a server or listener, default: the first one started)", key="program", short=True),
    StepSpec("listen", (_as(None, "listener"), Arg("backlog", {"type": "integer", "minimum": 0, "maximum": 4096})),
             "a server scripted by the grader, for testing clients: listen on a port of its own (`backlog`, default "
             "16); a client program started after it connects to it", key="as", short=True),
    StepSpec("accept", (_as(None, "client"), _of("listener"), WITHIN_ARG),
             "take the next connection on the listener `of`, as the scripted connection `as` (a client that exited "
             "without connecting fails it at once)"),
    StepSpec("connect", (
        _as(None, "client"), EACH_ARG, WITHIN_ARG, TO, Arg("accepted", dict(TRUE)),
        Arg("receive_buffer", {"type": "integer", "minimum": 1024, "maximum": 16777216}),
        Arg("mss", {"type": "integer", "minimum": 536, "maximum": 65495})),
        "connect a scripted client (`connect: alice`); with `each: N`, N clients named `c{i}` at once; `accepted: "
        "true` also waits until the server has accept()ed them (a server that died or stopped listening fails it, "
        "with its exit status); `receive_buffer` and `mss` (the segment size it announces: 1460 as over Ethernet, "
        "where loopback's 65483 lets a program queue megabytes toward a client that does not read) shape what the "
        "program can send it before its send queue is full; `within` is how long the server may take no "
        "connection (one that accepts slowly but steadily is slow, not failing)", key="as", short=True),
    StepSpec("session", (_as(None, "client"), EACH_ARG, WITHIN_ARG, Arg("data", {"type": "string", "minLength": 1},
                                                                       required=True), TO),
             "clients one after another: connect, send `data`, expect it echoed, close"),
    StepSpec("fill_queue", (_as(None, "clients", TEMPLATE), TO,
                            Arg("max", {"type": "integer", "minimum": 1, "maximum": 1000}), WITHIN_ARG,
                            Arg("save", dict(SAVED), defines="measure")),
             "while the server is busy, connect clients (`as` holds `{i}`: `q{i}`) one at a time, each in once the "
             "server's kernel has it in the accept queue, until the kernel drops one (ListenOverflows rises) or `max` "
             "are in (default 100), then wait until the sandbox has "
             "settled: a server that accepts while busy drains the queue meanwhile, and what it took counts as "
             "capacity too; `save` keeps how many got in"),
    StepSpec("send", (
        _as(), EACH_ARG, WITHIN_ARG, Arg("data", dict(TEXT)), Arg("random", dict(BYTES)), _pieces("sent"),
        Arg("cut", {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"type": "integer", "minimum": 1},
                    "description": "byte offsets where `data` (UTF-8) is cut into pieces, each read alone"}),
        Arg("random_text", {**BYTES, "description": "that many bytes of random printable ASCII lines"})),
        "send text (`data`), deterministic random bytes (`random: BYTES`) or printable lines (`random_text: "
        "BYTES`), or pieces each read alone by the program (`pieces: [...]`, or `data` with `cut: [8, 23]`, byte "
        "offsets, e.g. inside a UTF-8 character); `within`: how long the program may take to read it",
        key="as", one_of=("data", "random", "random_text", "pieces")),
    StepSpec("expect", (
        _as(), EACH_ARG, WITHIN_ARG, Arg("data", dict(TEXT)), Arg("echo", dict(TRUE)), Arg("others", dict(TEXT)),
        Arg("lines", {"type": "array", "minItems": 1, "items": {"type": "string"}}),
        Arg("sent_by", {**NAME, "description": "the bytes that client sent, not yet expected here"},
            refers="client", each=False),
        Arg("contains", {"type": "string", "minLength": 1, "description": "leniency: these bytes arrive, after "
                                                                          "anything; what follows is not judged "
                                                                          "either"})),
        "the next bytes received are exactly `data`, or everything sent since the last expect (`echo: true`), or "
        "what another client sent (`sent_by: NAME`); `lines:` these lines in any order; `others: \"from {j}\\n\"` "
        "with `each: N`, one line from every other client; `contains:` (leniency) these bytes after anything, and "
        "what follows is not judged. `within`: how long nothing may arrive (while bytes keep coming, it waits on)",
        key="as", one_of=("data", "echo", "others", "lines", "sent_by", "contains")),
    StepSpec("expect_silence", (_as(), EACH_ARG, Arg("for", {"type": "number", "exclusiveMinimum": 0,
                                                             "maximum": 30}), WITHIN_ARG),
             "once the sandbox has settled, nothing has arrived on these clients, and they are still open (`for`: a "
             "minimum window in seconds, for timers)", key="as", short=True),
    StepSpec("flood", (
        _as(), Arg("hold", {"type": "array", "minItems": 1, "uniqueItems": True, "items": dict(NAME)},
                   refers="client", each=False),
        Arg("lines", dict(TRUE)), Arg("max", {"type": "integer", "minimum": 1024, "maximum": 67108864}), WITHIN_ARG),
        "`as` sends (random bytes, or long lines with `lines: true`) while the `hold` clients (default: `as`) do "
        "not read, at the program's pace (at most 256 KiB it has not read yet), until the program waits or `max` "
        "bytes (16 MiB); then they read again. `within`: how long the program may go without reading",
        key="as", short=True, description="the client sends while the held clients do not read, until the program "
                                          "waits (its send queue is full) or max bytes were sent; then they read "
                                          "again"),
    StepSpec("close", CLIENT_END, "close the connection (FIN), after checking that nothing unexpected arrived on it",
             key="as", short=True),
    StepSpec("shutdown", CLIENT_END, "half-close (FIN, and keep reading), after the same check", key="as",
             short=True),
    StepSpec("reset", CLIENT_END, "abort the connection (RST, SO_LINGER 0), after the same check", key="as",
             short=True),
    StepSpec("expect_closed", (*CLIENT_END, Arg("how", {"enum": ["close", "reset", "any"]})),
             "wait until the peer ends the connection: `how: close` (an orderly close, FIN: the default), `reset` or "
             "`any`; a reset where a close was due fails, with both named", key="as", short=True),
    StepSpec("type", (Arg("of", dict(NAME), required=True, refers="program", aliases=("into",)),
                      Arg("data", dict(TEXT)), Arg("eof", dict(TRUE)), _pieces("typed"), WITHIN_ARG),
             "type on a client program's terminal (stdin is a pty), once every program is asleep (as a person types "
             "into a program that has started; at most 1 s for one that never sleeps); `eof: true` is Ctrl-D; "
             "`pieces`: each line once the program has read the previous one (`within` each)",
             key="of", one_of=("data", "eof", "pieces")),
    StepSpec("expect_output", (
        _of(), Arg("data", {"type": "string", "minLength": 1}), Arg("stream", {"enum": ["stdout", "stderr"]}),
        WITHIN_ARG, Arg("contains", {"type": "string", "minLength": 1}),
        Arg("match", {"type": "string", "minLength": 1,
                      "description": "a regular expression the next line must fully match"}),
        Arg("end", dict(TRUE)),
        Arg("allow", {"type": "string", "minLength": 1,
                      "description": "with end: one last line matching this regular expression is allowed"})),
        "what the program prints next on stdout (`stream: stderr` for stderr): exactly `data`; anything then "
        "`contains`; a line fully matching the regular expression `match`; or `end: true`: nothing more, the "
        "program closed its output (`allow`: one last line matching it)",
        key="of", one_of=("data", "contains", "match", "end")),
    StepSpec("wait_exit", (_of(), Arg("code", {"type": "integer"}), WITHIN_ARG),
             "the program exits (with the status `code`, when given)", key="of", short=True),
    StepSpec("check_stderr", (_of(), Arg("at_least", {"type": "integer", "minimum": 0}, aliases=("min_lines",)),
                              Arg("at_most", {"type": "integer", "minimum": 0}, aliases=("max_lines",)),
                              Arg("traceback", {"type": "boolean"})),
             "what the program wrote on stderr: `at_least` and `at_most` non-blank lines (bounds as in `probe`); "
             "`traceback: false`: no Python traceback", key="of"),
    StepSpec("probe", (
        Arg("measure", {"enum": list(MEASURES)}, required=True),
        Arg("of", dict(NAME), refers="program"),  # a server's, for backlog and accept_queue (load.py)
        *BOUNDS, WITHIN_ARG, Arg("save", dict(SAVED), defines="measure"),
        Arg("over", {"type": "number", "exclusiveMinimum": 0, "maximum": 30})),
        "`children`, `zombies`, `fds`, `threads`, `stdout_lines`, `stderr_lines`, `output_lines` of the program "
        "`of`, `backlog` or `accept_queue` of a server, the submission's `processes`; `cpu_ms` and `wakeups` "
        "(voluntary context switches) over a window of `over` seconds, decided before its end when certain (a "
        "counter past `at_most`, or the sandbox quiescent). Waits up to `within` for the bound to hold; `save: "
        "name` keeps the value, and a bound may be `name` or `name + 1`", key="measure"),
    StepSpec("expect_blocked", (
        _of(), Arg("in", {"type": "array", "minItems": 1, "uniqueItems": True, "items": {"enum": list(SYSCALLS)}},
                   required=True),
        Arg("samples", {"type": "integer", "minimum": 1, "maximum": 50}), WITHIN_ARG),
        "while idle, the program waits in one of these system calls (`select`, `poll`, `epoll`, `read`, `recv`, "
        "`accept`, `sleep`, `futex`, `wait4`), in each of `samples` looks at `/proc/PID/syscall` (default 5)"),
    StepSpec("compare", (Arg("saved", dict(SAVED), required=True), *BOUNDS),
             "a saved value against a number or another saved value (`ref_capacity`, a backlog `start` saved, "
             "`name + 1`)"),
    StepSpec("pause", (_of(),), "SIGSTOP the program (not its children): e.g. children that end while their parent "
                                "is paused have their SIGCHLD merged, deterministically", key="of", short=True),
    StepSpec("resume", (_of(),), "SIGCONT the program", key="of", short=True),
    StepSpec("stop", (_of(),), "SIGTERM, then SIGKILL after 1 s", key="of", short=True),
)}

VERBS = {s.name: s.key for s in STEPS.values() if s.key}  # verb -> the key its short form stands for


def with_key(verb: str, args: Any) -> Any:
    """A step's keys as the table spells them: the short form (`connect: alice`) made the mapping it
    stands for, and a key's older spelling (`type: {into: cli}`) renamed (`type: {of: cli}`)."""
    if not isinstance(args, dict):
        return args if verb not in VERBS else {VERBS[verb]: args}
    aliases = STEPS[verb].aliases if verb in STEPS else {}
    return {aliases.get(k, k): v for k, v in args.items()} if aliases else args


def twice(verb: str, args: Any) -> str | None:
    """What is wrong when a step gives a key in two spellings (`into:` and `of:`), else None."""
    aliases = STEPS[verb].aliases if verb in STEPS and isinstance(args, dict) else {}
    for old, key in aliases.items():
        if old in args and key in args:
            return _("{old!r} is the older spelling of {key!r}: keep only {key!r}").format(old=old, key=key)
    return None


def backlog_name(name: str, args: dict[str, Any]) -> str:
    """Where `start` saves a server's listen backlog: `save:`, else (older labs) NAME_backlog."""
    return str(args.get("save") or BACKLOG.format(name=name))
