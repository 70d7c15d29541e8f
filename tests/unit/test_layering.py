"""Import boundaries: the in-sandbox driver is standard library only; the model does no I/O."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

GRADER = Path(__file__).resolve().parents[2] / "grader"
DRIVER_MODULES = sorted((GRADER / "driver").glob("*.py"))
IO_MODULES = {"os", "subprocess", "socket", "shutil", "select", "selectors", "signal", "multiprocessing",
              "threading", "asyncio", "urllib", "http", "docker"}


def imports(source: str) -> list[tuple[int, str]]:
    """(relative level, module) for every import of a module, wherever it is in the file."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or ""))
    return found


def foreign_imports(source: str) -> list[str]:
    """Imports of a grader/driver module that are neither the standard library nor grader.driver."""
    bad = []
    for level, module in imports(source):
        top = module.split(".")[0]
        own = level == 1 or (level == 0 and (module == "grader.driver" or module.startswith("grader.driver.")))
        if not own and (level > 1 or top not in sys.stdlib_module_names):
            bad.append("." * level + module)
    return bad


def test_the_checker_flags_foreign_imports() -> None:
    source = ("import os\nfrom . import probes\nfrom .loop import Loop\nimport grader.driver.matching\n"
              "import yaml\nfrom ..errors import GraderError\ndef f():\n    from grader import feedback\n")
    assert foreign_imports(source) == ["yaml", "..errors", "grader"]


def test_the_driver_package_is_where_expected() -> None:
    assert {"__main__.py", "matching.py", "probes.py", "steps.py"} <= {p.name for p in DRIVER_MODULES}


@pytest.mark.parametrize("module", DRIVER_MODULES, ids=[p.name for p in DRIVER_MODULES])
def test_driver_module_imports_only_stdlib_and_its_package(module: Path) -> None:
    assert foreign_imports(module.read_text(encoding="utf-8")) == []


def test_model_imports_no_io_modules() -> None:
    found = {module.split(".")[0] for level, module in imports((GRADER / "assignment" / "model.py").read_text())
             if level == 0}
    assert "dataclasses" in found  # the walk does see the model's imports
    assert found & IO_MODULES == set()
