"""`grade new LAB [--dir DIR]`: a working lab to start from, made from grader/templates/newlab/.

The template is a lab of its own (an echo server): `assignment.yaml` (the lab's name filled in),
one scenario, its reference program in `reference/` (inside the lab's folder, as a Gradescope
package has it) and one mutant, a patch against the reference. As made, it passes `grade
selfcheck` (tests/integration/test_authoring.py runs exactly that).
"""

from __future__ import annotations

import re
import shutil
import string
from importlib import resources
from pathlib import Path

from .assignment.load import load_assignment
from .assignment.validation import PATTERNS, schema
from .errors import UsageError
from .i18n import N_, _
from .mutants import mutants_of

TEMPLATE = "templates/newlab"
FILLED_IN = ("assignment.yaml",)  # the template files where $lab is the new lab's name
WHAT = {  # what each file of the template is for, as `grade new` lists them
    "assignment.yaml": N_("the lab: its hand-in files and programs"),
    "scenarios": N_("its scenarios (the tests), one to start with"),
    "reference": N_("the course's correct programs: they must score 100 %"),
    "mutants": N_("known-bad variants of the reference, each a mutant.yaml and a patch: each must lose points"),
}
NEXT_STEPS = N_("Next: write the lab's programs in {lab}/reference/ and its scenarios in {lab}/scenarios/ (every "
              "step: docs/scenarios.md); give each scenario a mutant that only it catches ({lab}/mutants/NAME/); "
              "docs/instructor.md walks through it all. After every change, check the lab:\n    grade selfcheck {lab}")


def template() -> Path:
    """The template's folder in the installed package (the wheel ships it: pyproject.toml)."""
    return Path(str(resources.files("grader").joinpath(TEMPLATE)))


def check_name(lab: str) -> None:
    pattern = schema("assignment")["properties"]["name"]["pattern"]
    if not re.fullmatch(pattern, lab):
        raise UsageError(_("{lab!r} cannot be a lab's name: expected {pattern}, e.g. echo-threads").format(
            lab=lab, pattern=_(PATTERNS[pattern])))


def make_lab(lab: str, parent: Path) -> Path:
    """The lab `lab` made from the template in `parent`/`lab`, checked by loading it back."""
    check_name(lab)
    dest = parent / lab
    if dest.exists() or dest.is_symlink():
        raise UsageError(_("{folder} exists already: choose another name, or another folder with --dir (nothing was "
                           "changed)").format(folder=dest))
    try:
        parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(template(), dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    except OSError as e:  # --dir is a file, a folder one may not write in...
        raise UsageError(_("cannot make {folder}: {error}").format(folder=dest, error=e.strerror or e)) from None
    for name in FILLED_IN:
        path = dest / name
        path.write_text(string.Template(path.read_text(encoding="utf-8")).substitute(lab=lab), encoding="utf-8")
    mutants_of(load_assignment(dest))  # a template that does not load is labgrade's bug: it says so here
    return dest
