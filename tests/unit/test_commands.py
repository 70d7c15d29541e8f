"""The command registry (grader/cli.py): one module of grader/commands/ per sub-command, each
registered, each entry naming a function that exists; and the host side's modules stay small."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from grader import cli

COMMANDS = Path(cli.__file__).with_name("commands")
HOST_SIDE = ["cli.py", "classrun.py", "discovery.py", "shard.py", "outcome.py", "pytest_runs.py", "gradescope.py",
             "wheel.py", "ungraded.py", *(f"commands/{p.name}" for p in COMMANDS.glob("*.py"))]


def test_every_entry_names_a_command_of_grader_commands() -> None:
    for name, spec in {**cli.COMMANDS, "": cli.DEFAULT}.items():
        function = cli.command(spec)
        assert function.__module__.startswith("grader.commands."), name
        assert list(inspect.signature(function).parameters) == ["argv"], spec


def test_every_command_module_is_registered() -> None:
    registered = {*cli.COMMANDS.values(), cli.DEFAULT}
    for module in sorted(COMMANDS.glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("cmd_"):
                assert f"grader.commands.{module.stem}:{node.name}" in registered, f"{module}: {node.name}"


def test_the_host_sides_modules_are_under_300_lines() -> None:
    grader = Path(cli.__file__).parent
    sizes = {name: len((grader / name).read_text(encoding="utf-8").splitlines()) for name in HOST_SIDE}
    assert {name: n for name, n in sizes.items() if n > 300} == {}
