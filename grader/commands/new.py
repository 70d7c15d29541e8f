"""`grade new LAB`: a working lab to start from (grader/newlab.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..i18n import _, choose, lang_option, use
from ..newlab import NEXT_STEPS, WHAT, make_lab


def cmd_new(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="grade new",
                                description=_("Make a working lab to start from: assignment.yaml, a scenario, a "
                                              "reference program and a mutant, which `grade selfcheck` passes."))
    p.add_argument("lab", metavar="LAB", help=_("the lab's name: lower-case letters, digits and -"))
    p.add_argument("--dir", type=Path, default=Path("."), metavar="DIR",
                   help=_("where to make the lab's folder, DIR/LAB (default: the current folder)"))
    lang_option(p)
    args = p.parse_args(argv)
    use(choose(args.lang, None))
    dest = make_lab(args.lab, args.dir)
    print(_("Made the lab {lab} in {folder}/:").format(lab=args.lab, folder=dest))
    for entry in sorted(dest.iterdir()):
        files = [entry] if entry.is_file() else sorted(f for f in entry.rglob("*") if f.is_file())
        print(f"  {entry.name:<16} {_(WHAT[entry.name]) if entry.name in WHAT else ''}")
        for f in files if entry.is_dir() else ():
            print(f"      {f.relative_to(dest)}")
    print(_(NEXT_STEPS).format(lab=dest))
    return 0
