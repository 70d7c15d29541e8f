"""`grade gradescope-package -a LAB`: the Gradescope autograder zip (grader/gradescope.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..assignment import find_assignment, load_assignment
from ..gradescope import package
from ..i18n import _, lang_option


def cmd_gradescope_package(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="grade gradescope-package",
                                description=_("Build the autograder zip to upload to Gradescope (setup.sh, "
                                              "run_autograder, labgrade and the lab)."))
    p.add_argument("-a", "--assignment", required=True, metavar="LAB", help=_("lab name or assignment folder"))
    p.add_argument("-o", "--out", type=Path, metavar="FILE.zip",
                   help=_("where to write the zip (default: gradescope-LAB.zip)"))
    p.add_argument("--wheelhouse", action="store_true",
                   help=_("carry the wheels labgrade needs (downloaded now with pip), so that setup.sh "
                          "installs without a package index"))
    p.add_argument("--wheel-machine", default="x86_64", metavar="MACHINE",
                   help=_("the machine the wheelhouse is for, as `uname -m` says (default: x86_64, Gradescope's)"))
    lang_option(p)
    args = p.parse_args(argv)
    name = load_assignment(find_assignment(args.assignment)).name
    out = package(args.assignment, args.out or Path(f"gradescope-{name}.zip"),
                  args.wheel_machine if args.wheelhouse else None, args.lang)
    print(f"wrote {out} ({out.stat().st_size // 1024} KB): upload it as the autograder of a Gradescope "
          f"programming assignment (Ubuntu base image); it grades each submission as {name}")
    return 0
