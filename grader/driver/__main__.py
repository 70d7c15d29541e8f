"""The in-sandbox driver: a JSON plan in (stdin), a JSON outcome out (stdout). Standard library only.

    python3 -m grader.driver < plan.json > outcome.json

Batch mode runs the plan's steps and prints one outcome. Interactive mode (`"interactive": true`,
used by checks written in Python) prints a `Ready`, then reads one JSON step per line and
answers each with a `Reply` until `{"end": true}`, then prints the outcome.
The plan, the outcome, the ready line and the replies are the values of wire.py (tagged JSON).
The outcome's status is "passed", "failed" (the student's program is at fault: a verdict) or
"error" (the harness is at fault: never to be scored as the student's failure). A reply says
`ok`, or carries a `verdict` or a `grader_error`, with `saved` and `received`: what a check
reads (grader/plugin/checks.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from dataclasses import replace
from typing import Any

from . import i18n, jail, probes, rootfs
from .i18n import N_, _
from .loop import Loop
from .program import Program
from .program_steps import crash_summary
from .runner import Spawn
from .stepcheck import problem
from .steps import Runner, StepFailed, describe
from .transcript import Transcript
from .wire import Outcome, Plan, ProgramOutcome, Ready, Reply, Verdict

BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1",
            "LANG": "C.UTF-8", "HOME": "/tmp", "TMPDIR": "/tmp"}
JAIL_SUBMISSION = "/submission"


class MissingFile(StepFailed):
    pass


WHO = {"course": N_("the course's program"), "reference": N_("the reference solution")}


def make_spawner(plan: Plan, loop: Loop, log: Transcript) -> Spawn:
    student, reference = plan.student, plan.reference
    jail_root = (plan.jail or {}).get("root")
    located = student.files  # a declared file -> where the hand-in has it

    def spawn(name: str, argv: list[str], origin: str) -> Program:
        info = student if origin == "student" else reference
        script = located.get(argv[0], argv[0]) if origin == "student" else argv[0]
        if not os.path.isfile(os.path.join(info.dir, script)):
            missing = _("{file} is missing from the submission") if origin == "student" else \
                _("{file} is missing from the reference solution")
            raise MissingFile(missing.format(file=argv[0]), expected=_("a file named {file}").format(file=argv[0]),
                              observed=_("no such file"))
        command = [str(info.python), script, *argv[1:]]
        if origin != "student":
            return Program(name, command, cwd=info.dir, env=dict(BASE_ENV), loop=loop, log=log, origin=origin,
                           shown=_(WHO[origin]))
        preexec = jail.student_preexec(
            root=jail_root, cwd=JAIL_SUBMISSION if jail_root else info.dir, uid=info.uid,
            gid=info.gid, limits=plan.limits, cgroups=list(plan.cgroups),
        )
        env = BASE_ENV | ({"HOME": student.tmp, "TMPDIR": student.tmp, "MALLOC_ARENA_MAX": "2"}  # process
                          if student.tmp else {})
        return Program(name, command, cwd=info.dir, env=env, loop=loop, log=log, preexec=preexec)

    return spawn


def client_start_failure(p: Program) -> str | None:
    """A student's program that died at once: exited by itself with a Python traceback before
    printing anything (a syntax error, an import error, a crash on its arguments)."""
    if p.start_failure or p.returncode in (None, 0) or p.killed_by_grader or p.stdout.total:
        return p.start_failure
    crash = crash_summary(p.script, p.stderr.tail())
    if crash is None:
        return None
    summary, compile_error = crash
    return summary if compile_error else _("{script} stops at once: {why}").format(script=p.script, why=summary)


def outcome_of(runner: Runner | None, log: Transcript, started: float) -> Outcome:
    programs = {}
    for name, p in (runner.programs if runner else {}).items():
        programs[name] = ProgramOutcome(
            student=p.student, origin=p.origin, script=p.script, exit=p.exit_text(), returncode=p.proc.returncode,
            stderr=p.stderr.tail(), stdout_bytes=p.stdout.total, stderr_bytes=p.stderr.total,
            limited=bool(p.limits_hit()), start_failure=client_start_failure(p) if p.student else None)
    return Outcome("passed", log.value(), programs, dict(runner.saved) if runner else {},
                   round(time.monotonic() - started, 4))


def failure(index: int, step: dict[str, Any] | None, e: StepFailed) -> Verdict:
    return Verdict(index, describe(step) if step else _("after the last step"), e.message, e.expected, e.observed)


def setup(plan: Plan) -> None:
    if plan.isolation == "process":  # no namespace of our own: grader/sandbox/process.py
        jail.prctl(jail.PR_SET_CHILD_SUBREAPER, 1)  # a daemon that double-forks stays below the driver
        probes.SCOPE[:] = [os.getpid()]  # the sandbox is what descends from the driver
        return
    jail.loopback_up()
    if plan.jail:  # the local backend's UTS namespace (docker names the container itself)
        socket.sethostname(jail.HOSTNAME)
        s = plan.student
        rootfs.build_root(plan.jail["root"], s.dir, str(s.python), s.uid or 0, s.gid or 0, plan.scratch_mb)


def run(plan: Plan, out: Any) -> Outcome:
    started = time.monotonic()
    i18n.use(plan.lang)  # before any text: the plan's language (a forked driver runs one plan)
    log, loop = Transcript(), Loop(plan.received_mb << 20)
    runner: Runner | None = None
    verdict: Verdict | None = None
    error: str | None = None
    try:
        setup(plan)
        runner = Runner(plan, loop, log, make_spawner(plan, loop, log))
        if plan.interactive:
            verdict = interact(runner, out)
        else:
            for i, step in enumerate(plan.steps):
                try:
                    runner.run_step(step)
                except StepFailed as e:
                    log.grader(_("step failed"), e.message)
                    verdict = failure(i, step, e)
                    break
            else:
                try:
                    runner.finish()
                except StepFailed as e:
                    log.grader(_("step failed"), e.message)
                    verdict = failure(len(plan.steps), None, e)
        runner.teardown()
        if plan.isolation == "process":
            jail.kill_uid(plan.student.uid or 0)  # what escaped the programs' process groups
            jail.reap_children()  # the killed orphans are ours (subreaper): no zombie may keep the uid busy
    except Exception:
        import traceback  # only a harness fault needs it: not imported on every scenario's start

        error = traceback.format_exc()
    outcome = outcome_of(runner, log, started)
    if error is not None:
        return replace(outcome, status="error", error=error)
    return replace(outcome, status="failed", verdict=verdict) if verdict else outcome


def interact(runner: Runner, out: Any) -> Verdict | None:
    """Steps sent one per line by a check written in Python. A step the check got wrong (an unknown
    verb, bad arguments) or a fault of the driver is answered with a `grader_error`:
    the check's or the grader's fault, never the student's. Each reply carries what each client
    received since the previous reply (not everything again: a flood would make it huge)."""
    print(json.dumps(Ready().to_json()), file=out, flush=True)
    result: Verdict | None = None
    sent: dict[str, int] = {}
    for i, line in enumerate(sys.stdin):
        step = json.loads(line)
        if step.get("end"):
            break
        verdict: Verdict | None = None
        error: str | None = None
        try:
            check_step(step)
            runner.run_step(step)
        except StepFailed as e:
            verdict = failure(i, step, e)
            result = result or verdict
        except Exception as e:  # the check's mistake or ours: said to the check, never the student's fault
            error = f"{type(e).__name__}: {e}"
        received = {n: bytes(c.rx[sent.get(n, 0):]).decode("utf-8", "backslashreplace")
                    for n, c in runner.conns.items()}
        sent.update({n: len(c.rx) for n, c in runner.conns.items()})
        reply = Reply(verdict is None and error is None, dict(runner.saved), received, verdict, error)
        print(json.dumps(reply.to_json()), file=out, flush=True)
    return result


def check_step(step: Any) -> None:
    """A step as a check sends it: one known verb, its keys and their types (stepspec.py)."""
    why = problem(step)
    if why:
        raise ValueError(why)


def main() -> None:
    """Start-up and exit are on every scenario's critical path (bench/RESULTS.md): the local
    and docker backends start the driver ahead, so it may wait here for its plan, and may never
    get one (end of input: the host closed it unused); once the outcome is out, the driver
    leaves at once, without the interpreter's finalization (~15 ms measured): it is PID 1 of
    its namespace, whose end the kernel takes care of."""
    signal.pthread_sigmask(signal.SIG_SETMASK, ())  # programs start with no signal blocked, as from a shell,
    # whatever thread of the grader started the driver (its workers block Ctrl-C: grader/plugin/sidebyside.py)
    out = os.fdopen(os.dup(1), "w")  # the outcome channel; nothing else may write to it
    os.dup2(2, 1)  # a stray print() in the driver goes to stderr, not into the outcome
    line = sys.stdin.readline()
    if not line.strip():
        os._exit(0)
    plan = Plan.from_json(json.loads(line))
    if plan.alarm:  # docker: the driver's own deadline counts from its plan, not its start
        signal.alarm(plan.alarm)
    print(json.dumps(run(plan, out).to_json()), file=out, flush=True)
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
