"""`grade scenarios LAB`: the lab's scenarios as students will be graded on them, with the total."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .assignment import Assignment, find_assignment, load_assignment
from .cache import check_files


def scenario_table(assignment: Assignment) -> Table:
    table = Table(title=f"{assignment.name}: {len(assignment.scenarios)} scenario(s)")
    table.add_column("scenario")
    table.add_column("tags")
    table.add_column("points", justify="right")
    table.add_column("visibility")
    table.add_column("file", overflow="fold")
    for s in assignment.scenarios:
        where = f"{s.path.relative_to(assignment.root)}:{s.line}"
        table.add_row(escape(s.name), ", ".join(s.tags), f"{s.points:g}", s.visibility, escape(where))
    table.add_section()
    table.add_row("total", "", f"{assignment.max_score:g}", "", "")
    return table


def cmd_scenarios(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="grade scenarios",
                                description="List a lab's scenarios: name, tags, points and visibility, and the total.")
    p.add_argument("lab", metavar="LAB", help="lab name or assignment folder")
    args = p.parse_args(argv)
    assignment = load_assignment(find_assignment(args.lab))
    console = Console(highlight=False)
    console.print(scenario_table(assignment))
    checks = [str(f.relative_to(assignment.root)) for f in check_files(assignment)]
    if checks:
        console.print(f"Also checks written in Python, not listed (their points are in their markers): "
                      f"{escape(', '.join(checks))}", soft_wrap=True)
    return 0
