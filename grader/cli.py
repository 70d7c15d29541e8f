"""`grade`: the command registry and the exit codes. Each sub-command is a module of grader/commands/,
imported when it runs; `grade SUBMISSIONS` (grader/commands/grade.py) is the default.

    grade SUBMISSIONS [-a LAB] [--backend auto|local|docker|process] [-j N] [-o DIR]
    grade selfcheck LAB [--backend ...] [-j N] [-v]
    grade new LAB [--dir DIR]
    grade scenarios LAB
    grade merge OUT_DIR... [-o OUT]           (the shards of a `grade --shard K/N` run)
    grade cache info|clear [--cache-dir DIR]
    grade image build [--offline] [--base IMAGE] [--force]
    grade gradescope-package -a LAB [-o FILE.zip]
    grade classroom init -a LAB [--repo DIR] [--install SPEC]
    grade check [FOLDER] [-a LAB]             (a student's own check, visible tests only)
    grade publish LAB -o DIR                  (the student edition of a lab)
"""

from __future__ import annotations

import enum
import os
import signal
import sys
import threading
from collections.abc import Callable
from importlib import import_module

from .errors import AssignmentError, GraderError, SandboxUnavailable, UsageError
from .i18n import _, choose, lang_in, use
from .text import closest


class ExitCode(enum.IntEnum):
    OK = 0
    CHECK_FAILED = 1  # selfcheck: a reference or mutant did not score as declared
    USAGE_ERROR = 2  # bad arguments, assignment or scenario file
    INTERNAL_ERROR = 3  # grading completed, but the grader failed on some test: an instructor must look
    NO_SANDBOX = 4  # no sandbox can be made on this machine: nothing was graded (run_autograder gives no grade)
    INTERRUPTED = 130


DEFAULT = "grader.commands.grade:cmd_grade"  # `grade SUBMISSIONS`: no sub-command name
COMMANDS = {"selfcheck": "grader.commands.selfcheck:cmd_selfcheck", "image": "grader.commands.image:cmd_image",
            "merge": "grader.commands.merge:cmd_merge", "cache": "grader.commands.cache:cmd_cache",
            "gradescope-package": "grader.commands.gradescope_package:cmd_gradescope_package",
            "classroom": "grader.commands.classroom:cmd_classroom",
            "check": "grader.commands.check:cmd_check", "publish": "grader.commands.publish:cmd_publish",
            "new": "grader.commands.new:cmd_new", "scenarios": "grader.commands.scenarios:cmd_scenarios"}


def command(spec: str) -> Callable[[list[str]], int]:
    """The function a registry entry ("module:function") names, its module imported now."""
    module, _colon, name = spec.partition(":")
    found: Callable[[list[str]], int] = getattr(import_module(module), name)
    return found


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM (a CI job cancelled, `kill`): stop as on Ctrl-C


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    use(choose(lang_in(argv), None))  # until a lab is loaded: its argument errors, a lab that does not load
    on_term = signal.signal(signal.SIGTERM, interrupt) if threading.current_thread() is threading.main_thread() \
        else None
    try:
        if argv and argv[0] in COMMANDS:
            return int(command(COMMANDS[argv[0]])(argv[1:]))
        if argv and not argv[0].startswith("-") and not os.path.lexists(argv[0]) and \
                (close := closest(argv[0], COMMANDS)):  # a mistyped sub-command, not SUBMISSIONS
            raise UsageError(_("unknown command {name!r}: did you mean {close!r}?").format(name=argv[0], close=close))
        return int(command(DEFAULT)(argv))
    except AssignmentError as e:
        print(_("error in the assignment: {message}").format(message=e), file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except SandboxUnavailable as e:
        print(_("error: {message}").format(message=e), file=sys.stderr)
        return ExitCode.NO_SANDBOX
    except GraderError as e:
        print(_("error: {message}").format(message=e), file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except KeyboardInterrupt:
        print(_("interrupted"), file=sys.stderr)
        return ExitCode.INTERRUPTED
    finally:
        if on_term is not None:
            signal.signal(signal.SIGTERM, on_term)


if __name__ == "__main__":
    sys.exit(main())
