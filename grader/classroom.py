"""`grade classroom init -a LAB [--repo DIR] [--install SPEC] [--force]`: the GitHub Classroom workflow.

Writes `.github/workflows/classroom.yml` into a student template repository. On every push (and
on demand, and when Classroom asks for a re-run), the workflow installs labgrade, grades the
repository itself with the local sandbox, and hands the points to GitHub Classroom through its
official reporter action: the grading step sets the output `result` (grader/report/classroom.py
says what it holds), the reporter step reads it from `LABGRADE_RESULTS` (the runner id,
upper-cased, then `_RESULTS`). The workflow, job and runner names are the ones Classroom's own
generated workflow uses: the reporter finds its check run by them.

The runner's user grades (no sudo): the local sandbox then needs unprivileged user namespaces,
which Ubuntu 24.04 restricts with AppArmor, so one step lifts that restriction first. Where they
stay refused (a runner in a container, a stricter image), the grading step grades again with the
process sandbox, as root, and says why in the job summary.

The workflow grades in the language chosen when it is written (`--lang`, else the lab's
`language:`, else the locale: grader/i18n.py), and the job summary's note about the sandbox is
written into it in that language.
"""

from __future__ import annotations

import json
import shlex
import textwrap
from pathlib import Path

from . import __version__
from .assignment import find_assignment, load_assignment
from .errors import UsageError
from .i18n import ENGLISH, N_, _, for_assignment

WORKFLOW = Path(".github") / "workflows" / "classroom.yml"
RUNNER = "labgrade"  # the grading step's id; the reporter reads LABGRADE_RESULTS
JOB = "run-autograding-tests"  # Classroom's generated workflow's job id: the check run the reporter updates
PYTHON = "3.11"
# The actions the workflows labgrade writes or ships use (this one, docs/workflows/), pinned to a
# commit as GitHub's hardening advice asks (`./dev.sh lint` runs zizmor on both); the release
# tag that commit carried when it was pinned is kept beside it.
PINNED = {
    "actions/checkout": ("11d5960a326750d5838078e36cf38b85af677262", "v4.4.0"),
    "actions/setup-python": ("a26af69be951a213d495a4c3e4e4022e16d87065", "v5.6.0"),
    "actions/cache": ("0057852bfaa89a56745cba8c7296529d2fc39830", "v4.3.0"),
    "actions/upload-artifact": ("ea165f8d65b6e75b540449e92b4886f43607fa02", "v4.6.2"),
    "actions/download-artifact": ("d3f86a106a0bac45b974a628896c90dbdf5c8093", "v4.3.0"),
    "classroom-resources/autograding-grading-reporter": ("d13b5912daf5042ac1b71bc38bdb4a6bcd61d8ca", "v1"),
}
REPORTER_ACTION = "classroom-resources/autograding-grading-reporter"
REPORTER = f"{REPORTER_ACTION}@{PINNED[REPORTER_ACTION][0]}"


def uses(action: str) -> str:
    """A `uses:` value: the action at its pinned commit, its tag as a YAML comment."""
    commit, tag = PINNED[action]
    return f"{action}@{commit}  # {tag}"
DEFAULT_INSTALL = f"labgrade=={__version__}"
OUT = "$RUNNER_TEMP/labgrade"  # outside the checkout: the report must not become part of the graded files


# the job summary's note when the local sandbox cannot start, written into the workflow in its language
FELL_BACK = N_("### The local sandbox could not start: graded with the process sandbox")
FELL_BACK_WHY = N_("(labgrade's README, Sandbox backends: a uid of its own per scenario, run as root)")


def grade_command(lab: str, lang: str = ENGLISH) -> str:
    """The grading step's shell script (`bash -e`, in the checked-out repository). Exit status 3:
    graded, but the grader failed on a test (marked so): the points still go to Classroom. Exit
    status 4: no sandbox could start (user namespaces refused: AppArmor, a container): graded again
    with the process sandbox, as root, and the job summary says why (in the current language)."""
    args = f"-a {shlex.quote(lab)} --lang {lang} -o \"{OUT}\" --classroom-output \"$GITHUB_OUTPUT\""
    return f"""\
status=0
grade . {args} --backend local 2> "$RUNNER_TEMP/labgrade-local.err" || status=$?
cat "$RUNNER_TEMP/labgrade-local.err" >&2
if [ "$status" -eq 4 ]; then
  {{ echo {shlex.quote(_(FELL_BACK))}
    echo; echo '```'; cat "$RUNNER_TEMP/labgrade-local.err"; echo '```'
    echo {shlex.quote(_(FELL_BACK_WHY))}
  }} >> "$GITHUB_STEP_SUMMARY"
  as_root=""
  [ "$(id -u)" -eq 0 ] || as_root="sudo -E env PATH=$PATH"
  status=0
  $as_root grade . {args} --backend process || status=$?
fi
[ "$status" -eq 0 ] || [ "$status" -eq 3 ]"""


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def workflow(lab: str, install: str, timeout_minutes: int, lang: str = ENGLISH) -> str:
    return f"""\
# GitHub Classroom autograding with labgrade, written by `grade classroom init -a {lab}` (labgrade {__version__}).
# Keep the workflow name, the job id and the step id `{RUNNER}`: Classroom's reporter looks them up.
# Points: each labgrade scenario gives its points, partial credit included; hidden scenarios count
# but are shown to the student only as a total.
name: Autograding Tests
"on":
  - push
  - workflow_dispatch
  - repository_dispatch
permissions:
  checks: write
  actions: read
  contents: read
jobs:
  {JOB}:
    runs-on: ubuntu-latest
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: {timeout_minutes}
    steps:
      - name: Checkout code
        uses: {uses("actions/checkout")}
        with:
          persist-credentials: false
      - name: Set up Python
        uses: {uses("actions/setup-python")}
        with:
          python-version: {q(PYTHON)}
      - name: Install labgrade
        run: python -m pip install {shlex.quote(install)}
      - name: Allow the sandbox's user namespaces
        # Ubuntu 24.04 restricts unprivileged user namespaces; the key does not exist on older releases
        run: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 || true
      - name: Grade with labgrade
        id: {RUNNER}
        run: |
{textwrap.indent(grade_command(lab, lang), " " * 10)}
      - name: Autograding Reporter
        uses: {uses(REPORTER_ACTION)}
        env:
          {RUNNER.upper()}_RESULTS: "${{{{ steps.{RUNNER}.outputs.result }}}}"
        with:
          runners: {RUNNER}
"""


def init(lab: str, repo: Path, install: str, force: bool = False, lang: str | None = None) -> Path:
    """Write the workflow into `repo`, grading in `lang` (None: the lab's `language:`, else the locale's); returns
    its path."""
    # a broken or unknown lab fails here, not on every push
    assignment = for_assignment(load_assignment(find_assignment(lab)), lang)
    if not repo.is_dir():
        raise UsageError(f"{repo}: not a folder (give the student template repository's checkout)")
    path = repo / WORKFLOW
    if path.exists() and not force:
        raise UsageError(f"{path} exists: pass --force to replace it")
    budget = sum(s.timeout for s in assignment.scenarios) / 60
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(workflow(assignment.name, install, max(10, int(budget) + 10), assignment.language or ENGLISH),
                    encoding="utf-8")
    return path
