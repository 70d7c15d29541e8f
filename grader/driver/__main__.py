"""The in-sandbox driver: a JSON plan in (stdin), a JSON outcome out (stdout). Standard library only.

    python3 -m grader.driver < plan.json > outcome.json

Batch mode runs the plan's steps and prints one outcome. Interactive mode (`"interactive": true`,
used by checks written in Python) prints `{"ready": true}`, then reads one JSON step per line
and answers each with `{"ok": bool, ...}` until `{"end": true}`, then prints the outcome.
The outcome's status is "passed", "failed" (the student's program is at fault: a verdict) or
"error" (the harness is at fault: never to be scored as the student's failure).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from typing import Any

from . import jail
from .endpoints import Program
from .loop import Loop
from .steps import Runner, StepFailed, describe
from .transcript import Transcript

BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1",
            "LANG": "C.UTF-8", "HOME": "/tmp", "TMPDIR": "/tmp"}
JAIL_SUBMISSION = "/submission"


class MissingFile(StepFailed):
    pass


def make_spawner(plan: dict[str, Any], loop: Loop, log: Transcript) -> Any:
    student, reference = plan["student"], plan["reference"]
    jail_root = (plan.get("jail") or {}).get("root")

    def spawn(name: str, argv: list[str], side: str) -> Program:
        info = student if side == "student" else reference
        if not os.path.isfile(os.path.join(info["dir"], argv[0])):
            what = "submission" if side == "student" else "reference solution"
            raise MissingFile(f"{argv[0]} is missing from the {what}", expected=f"a file named {argv[0]}",
                              observed="no such file")
        if side != "student":
            return Program(name, [info["python"], *argv], cwd=info["dir"], env=dict(BASE_ENV), loop=loop, log=log,
                           student=False)
        preexec = jail.student_preexec(
            root=jail_root, cwd=JAIL_SUBMISSION if jail_root else info["dir"], uid=info.get("uid"),
            gid=info.get("gid"), limits=plan.get("limits", {}), cgroups=plan.get("cgroups", []),
        )
        return Program(name, [info["python"], *argv], cwd=info["dir"], env=dict(BASE_ENV), loop=loop, log=log,
                       preexec=preexec, student=True)

    return spawn


def outcome_of(runner: Runner | None, log: Transcript, started: float) -> dict[str, Any]:
    programs = {}
    for name, p in (runner.programs if runner else {}).items():
        programs[name] = {"student": p.student, "exit": p.exit_text(), "returncode": p.proc.returncode,
                          "stderr": p.stderr.tail(), "stdout_bytes": p.stdout.total, "stderr_bytes": p.stderr.total}
    return {"status": "passed", "transcript": log.to_json(), "programs": programs,
            "saved": runner.saved if runner else {}, "duration": round(time.monotonic() - started, 4)}


def failure(index: int, step: dict[str, Any], e: StepFailed) -> dict[str, Any]:
    return {"status": "failed", "failed_step": index, "step": describe(step), "message": e.message,
            "expected": e.expected, "observed": e.observed}


def setup(plan: dict[str, Any]) -> None:
    jail.loopback_up()
    if plan.get("jail"):
        s = plan["student"]
        jail.build_root(plan["jail"]["root"], s["dir"], s["python"], s.get("uid") or 0, s.get("gid") or 0,
                        int(plan.get("scratch_mb", 16)))


def run(plan: dict[str, Any], out: Any) -> dict[str, Any]:
    started = time.monotonic()
    log, loop = Transcript(), Loop()
    runner: Runner | None = None
    result: dict[str, Any] = {}
    try:
        setup(plan)
        plan["_spawn"] = make_spawner(plan, loop, log)
        runner = Runner(plan, loop, log)
        if plan.get("interactive"):
            result = interact(runner, out)
        else:
            for i, step in enumerate(plan["steps"]):
                try:
                    runner.run_step(step)
                except StepFailed as e:
                    log.add("grader", "step failed", e.message)
                    result = failure(i, step, e)
                    break
        runner.teardown()
    except Exception:
        import traceback  # only a harness fault needs it: not imported on every scenario's start

        result = {"status": "error", "error": traceback.format_exc()}
    return {**outcome_of(runner, log, started), **result}


def interact(runner: Runner, out: Any) -> dict[str, Any]:
    print(json.dumps({"ready": True}), file=out, flush=True)
    result: dict[str, Any] = {}
    for i, line in enumerate(sys.stdin):
        step = json.loads(line)
        if step.get("end"):
            break
        try:
            runner.run_step(step)
            reply: dict[str, Any] = {"ok": True}
        except StepFailed as e:
            reply = {"ok": False, **failure(i, step, e)}
            result = result or failure(i, step, e)
        reply["saved"] = runner.saved
        reply["received"] = {n: bytes(c.rx).decode("utf-8", "backslashreplace") for n, c in runner.conns.items()}
        print(json.dumps(reply), file=out, flush=True)
    return result


def main() -> None:
    """Start-up and exit are on every scenario's critical path (bench/RESULTS.md): the local
    and docker backends start the driver ahead, so it may wait here for its plan, and may never
    get one (end of input: the host closed it unused); once the outcome is out, the driver
    leaves at once, without the interpreter's finalization (~15 ms measured): it is PID 1 of
    its namespace, whose end the kernel takes care of."""
    out = os.fdopen(os.dup(1), "w")  # the outcome channel; nothing else may write to it
    os.dup2(2, 1)  # a stray print() in the driver goes to stderr, not into the outcome
    line = sys.stdin.readline()
    if not line.strip():
        os._exit(0)
    plan = json.loads(line)
    if plan.get("alarm"):  # docker: the driver's own deadline counts from its plan, not its start
        signal.alarm(int(plan["alarm"]))
    print(json.dumps(run(plan, out)), file=out, flush=True)
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
