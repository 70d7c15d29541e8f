"""`grade classroom init -a LAB`: write the GitHub Classroom autograding workflow (grader/classroom.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..assignment import find_assignment, list_labs, load_assignment
from ..classroom import DEFAULT_INSTALL, init
from ..i18n import _, lang_option


def cmd_classroom(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="grade classroom",
                                description=_("GitHub Classroom: write the autograding workflow of a student template "
                                              "repository."))
    sub = p.add_subparsers(dest="action", required=True, metavar="init")
    i = sub.add_parser("init", help=_("write .github/workflows/classroom.yml"))
    i.add_argument("-a", "--assignment", required=True, metavar="LAB", help=_("the lab the repository is for"))
    i.add_argument("--repo", type=Path, default=Path("."), metavar="DIR",
                   help=_("the template repository's checkout (default: the current folder)"))
    i.add_argument("--install", default=DEFAULT_INSTALL, metavar="SPEC",
                   help=_("what the workflow gives `pip install` to get labgrade (default: {spec}); e.g. "
                          "git+https://github.com/ORG/labgrade@v0.1.0 for your own copy").format(spec=DEFAULT_INSTALL))
    i.add_argument("--force", action="store_true", help=_("replace an existing classroom.yml"))
    lang_option(i)
    args = p.parse_args(argv)
    path = init(args.assignment, args.repo, args.install, args.force, args.lang)
    name = load_assignment(find_assignment(args.assignment)).name
    print(f"wrote {path}: on every push it installs `{args.install}`, grades the repository as {name} and reports "
          f"the points to GitHub Classroom")
    if name not in list_labs():
        print(f"note: {name} is not a lab bundled with labgrade: the labgrade that `{args.install}` installs must "
              f"carry it")
    if not any(f.suffix == ".py" for f in args.repo.iterdir() if f.is_file()):
        print(f"note: {args.repo} has no .py file at its top: the workflow grades the repository's top folder")
    return 0
