"""`grade scenarios LAB`: the lab's scenarios as students will be graded on them, with the total."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..assignment import Assignment, find_assignment, load_assignment
from ..cache import check_files
from ..i18n import _, for_assignment, lang_option


def scenario_table(assignment: Assignment) -> Table:
    table = Table(title=escape(_("{lab}: {n} scenario(s)").format(lab=assignment.name, n=len(assignment.scenarios))))
    table.add_column(_("scenario"))
    table.add_column(_("tags"))
    table.add_column(_("points"), justify="right")
    table.add_column(_("visibility"))
    table.add_column(_("file"), overflow="fold")
    for s in assignment.scenarios:
        where = f"{s.path.relative_to(assignment.root)}:{s.line}"
        table.add_row(escape(s.name), ", ".join(s.tags), f"{s.points:g}", s.visibility, escape(where))
    table.add_section()
    table.add_row(_("total"), "", f"{assignment.max_score:g}", "", "")
    return table


def cmd_scenarios(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="grade scenarios",
                                description=_("List a lab's scenarios: name, tags, points and visibility, and the "
                                              "total."))
    p.add_argument("lab", metavar="LAB", help=_("lab name or assignment folder"))
    lang_option(p)
    args = p.parse_args(argv)
    assignment = for_assignment(load_assignment(find_assignment(args.lab)), args.lang)
    console = Console(highlight=False)
    console.print(scenario_table(assignment))
    checks = [str(f.relative_to(assignment.root)) for f in check_files(assignment)]
    if checks:
        console.print(escape(_("Also checks written in Python, not listed (their points are in their markers): "
                               "{files}").format(files=", ".join(checks))), soft_wrap=True)
    return 0
