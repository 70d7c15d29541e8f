"""`grade publish LAB -o DIR`: write the student edition of a lab (grader/edition.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..assignment import find_assignment, load_assignment
from ..edition import publish
from ..i18n import _, choose, lang_option, use


def cmd_publish(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="grade publish",
                                description=_("Write the student edition of a lab: its visible tests and the course's "
                                              "programs they run, for `grade check -a DIR` on students' machines; no "
                                              "hidden test, mutant or solution."))
    p.add_argument("lab", metavar="LAB", help=_("lab name or assignment folder"))
    p.add_argument("-o", "--out", type=Path, required=True, metavar="DIR",
                   help=_("the folder to write (it must not exist, or be empty)"))
    lang_option(p)
    args = p.parse_args(argv)
    assignment = load_assignment(find_assignment(args.lab))
    use(choose(args.lang, assignment.language))  # what this command says; the edition keeps the lab's `language:`
    selection = publish(assignment, args.out)
    print(_("wrote {out}/: the student edition of {lab}, {n} scenario(s) and {files} file(s) of checks written in "
            "Python; students run `grade check -a {out}` in the folder of their work").format(
        out=args.out, lab=assignment.name, n=len(selection.scenarios), files=len(selection.check_files)))
    if selection.left_out:
        print(_("left out ({n} test(s), {points:g} points, graded after the hand-in only):").format(
            n=len(selection.left_out), points=selection.points_left_out))
        for name, why in selection.left_out.items():
            print(f"  {name!r}: {why}")
    return 0
