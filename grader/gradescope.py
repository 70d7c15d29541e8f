"""`grade gradescope-package -a LAB [-o FILE.zip]`: the autograder zip to upload to Gradescope.

Gradescope unpacks the zip into /autograder/source, runs `setup.sh` once (as root, on its Ubuntu
image) to build the grading image, then `run_autograder` for every submission, which must leave
/autograder/results/results.json. The zip holds:

    setup.sh                          a Python 3.11+ venv in /opt/labgrade, labgrade installed into
                                      it from the wheel below; its dependencies come from the
                                      wheelhouse when there is one (no index needed), else from the
                                      package index Gradescope's image uses; then the venv and the
                                      lab are made root-only (the process sandbox hides nothing)
    run_autograder                    `grade /autograder/submission -a /autograder/source/assignment
                                      --backend auto --lang LANG --gradescope-results .../results.json`; if
                                      grading cannot even start, a results.json that says why; if no
                                      sandbox can be made in the container, no results at all (the
                                      submission shows as an autograder failure, never as a 0)
    labgrade-<version>-py3-none-any.whl   this labgrade, built now: the `grader` package and the
                                      bundled labs, so the image needs nothing from our repository
    assignment/                       the lab graded: assignment.yaml, scenarios/, checks/ and its
                                      reference solution (mutants left out)
    wheelhouse/                       with --wheelhouse: wheels of labgrade's dependencies and pip,
                                      for CPython 3.11 to 3.13 on Linux (x86_64, Gradescope's, or
                                      --wheel-machine), downloaded now by pip from its configured
                                      index (or PIP_FIND_LINKS / PIP_NO_INDEX)

The wheel: grader/wheel.py (the standard library only: no build tool, no network). The zip's
entries have fixed dates: packaging the same sources twice gives the same bytes.

Paths in run_autograder can be moved for a trial outside Gradescope: AUTOGRADER_ROOT (default
/autograder) and, below it, AUTOGRADER_SOURCE / AUTOGRADER_SUBMISSION / AUTOGRADER_RESULTS;
LABGRADE_GRADE names the `grade` to run (default: /opt/labgrade/bin/grade, else `grade` on PATH);
LABGRADE_REPORT_DIR keeps labgrade's own reports there (default: a temporary folder, removed);
LABGRADE_BACKEND names the sandbox backend (default: auto).

run_autograder grades in the language chosen when the zip is made (`--lang`, else the lab's
`language:`, else the locale: grader/i18n.py), and its own texts (the results.json written when
grading cannot start, the note on its log) are baked into it in that language.
"""

from __future__ import annotations

import re
import shlex
import shutil
import tempfile
import zipfile
from pathlib import Path

from . import __version__
from .assignment import Assignment, find_assignment, load_assignment
from .errors import UsageError
from .i18n import ENGLISH, N_, _, for_assignment
from .wheel import build_wheel, download_wheelhouse, files_under, zip_write

SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache")

SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu 22.04 or 24.04).
# Written by `grade gradescope-package` (labgrade {version}).
set -euo pipefail
cd "$(dirname "$0")"  # /autograder/source: the unpacked zip
export DEBIAN_FRONTEND=noninteractive
VENV=/opt/labgrade
updated=""
apt_install() {{
  [ -n "$updated" ] || {{ apt-get update; updated=1; }}
  apt-get install -y --no-install-recommends "$@"
}}
# labgrade and the students' programs need Python 3.11+ (Ubuntu 22.04's python3 is 3.10)
PY=""
for cand in python3 python3.13 python3.12 python3.11; do
  if path=$(command -v "$cand") && "$path" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    PY=$path
    break
  fi
done
if [ -z "$PY" ]; then
  apt_install python3.11 python3.11-venv
  PY=/usr/bin/python3.11
fi
VER=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
command -v unshare >/dev/null && command -v setpriv >/dev/null || apt_install util-linux  # the sandboxes' tools
if [ -d wheelhouse ]; then
  # offline: labgrade's dependencies came in the zip (grade gradescope-package --wheelhouse), pip too
  pip_wheel=$(ls wheelhouse/pip-*.whl | head -n 1)
  "$PY" -m venv --without-pip "$VENV"
  "$VENV/bin/python" "$pip_wheel/pip" install --quiet --no-index --find-links wheelhouse pip ./{wheel}
else
  # Debian and Ubuntu ship venv's ensurepip apart from the interpreter
  "$PY" -c 'import ensurepip' 2>/dev/null || apt_install "python$VER-venv"
  "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet ./{wheel}
fi
"$VENV/bin/grade" --help >/dev/null
# Where the container allows no namespace, the students' programs see this machine's files (the
# process sandbox, README "Sandbox backends"): labgrade, the lab and its reference are root's only.
chmod -R go-rwx "$VENV" .
echo "labgrade {version} installed in $VENV with $("$PY" -V)"
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission, as root. Written by `grade gradescope-package` (labgrade {version}).
# Grades /autograder/submission as {lab} in a sandbox (namespaces, or a uid of its own where the
# container allows none) and writes /autograder/results/results.json.
# To try it elsewhere: AUTOGRADER_ROOT=/tmp/autograder /tmp/autograder/source/run_autograder
set -uo pipefail
ROOT=${{AUTOGRADER_ROOT:-/autograder}}
SOURCE=${{AUTOGRADER_SOURCE:-$ROOT/source}}
SUBMISSION=${{AUTOGRADER_SUBMISSION:-$ROOT/submission}}
RESULTS=${{AUTOGRADER_RESULTS:-$ROOT/results/results.json}}
GRADE=${{LABGRADE_GRADE:-}}
if [ -z "$GRADE" ] && [ -x /opt/labgrade/bin/grade ]; then GRADE=/opt/labgrade/bin/grade; fi
if [ -z "$GRADE" ]; then GRADE=$(command -v grade || echo grade); fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$(dirname "$RESULTS")"
rm -f "$RESULTS"
REPORT=${{LABGRADE_REPORT_DIR:-$WORK/report}}  # labgrade's own reports (results.json, report.html, logs)
"$GRADE" "$SUBMISSION" -a "$SOURCE/assignment" --backend "${{LABGRADE_BACKEND:-auto}}" -j 1 --no-cache \
  --lang {lang} -o "$REPORT" --gradescope-results "$RESULTS" 2>"$WORK/stderr"
status=$?
cat "$WORK/stderr" >&2
if [ "$status" -eq 4 ]; then
  # no sandbox in this container: the autograder's set-up, not the submission. No results.json, so
  # Gradescope shows an autograder failure (regrade once fixed) rather than a 0 the student did not earn.
  echo {no_sandbox} >&2
  exit 1
fi
if [ ! -s "$RESULTS" ]; then
  # grading could not start (e.g. no .py file handed in): say why rather than leave Gradescope without results
  PY=$(dirname "$GRADE")/python
  [ -x "$PY" ] || PY=python3
  "$PY" - "$RESULTS" "$WORK/stderr" "$status" <<'EOF'
import json, sys
results, stderr, status = sys.argv[1], open(sys.argv[2], errors="replace").read().strip(), sys.argv[3]
why = stderr.splitlines()[-1] if stderr else {stopped!r}.replace("{{status}}", status)
output = {not_graded!r}.replace("{{why}}", why)
json.dump({{"score": 0.0, "output": output, "visibility": "visible", "stdout_visibility": "hidden", "tests": []}},
          open(results, "w"), indent=1)
EOF
fi
exit 0
"""


# run_autograder's own texts, baked into it in the language chosen when the zip is made
NO_SANDBOX = N_("labgrade: nothing was graded: no sandbox can be made in this container (see above)")
STOPPED = N_("the grader stopped (exit status {status})")  # {status} is filled in by run_autograder
NOT_GRADED = N_("Your submission could not be graded: {why}\n\nHand in the programs the lab asks for ({files}) at the "
                "top of your submission, then submit again.")  # {why} is filled in by run_autograder


def run_autograder(assignment: Assignment) -> str:
    """The run_autograder script for `assignment`, in the current language (its `language`, as for_assignment chose)."""
    return RUN_AUTOGRADER.format(version=__version__, lab=assignment.name, lang=assignment.language or ENGLISH,
                                 no_sandbox=shlex.quote(_(NO_SANDBOX)), stopped=_(STOPPED),
                                 not_graded=_(NOT_GRADED).format(why="{why}", files=", ".join(assignment.handin)))


# -- the assignment -----------------------------------------------------------------------------

REFERENCE_LINE = re.compile(r"^reference:[^\n]*$", re.MULTILINE)
SHARED_BLOCK = re.compile(r"^shared:[^\n]*\n(?:[ \t]*(?:[ \t#][^\n]*)?\n)*", re.MULTILINE)  # with its indented lines


def stage_assignment(assignment: Assignment, dest: Path) -> Path:
    """The lab's folder with its reference inside it, checked by loading it back."""
    shutil.copytree(assignment.root, dest, ignore=shutil.ignore_patterns("mutants", "__pycache__", "*.pyc"))
    if not assignment.reference.is_relative_to(assignment.root):
        if (dest / "reference").exists():
            raise UsageError(f"{assignment.root / 'reference'} exists but is not the lab's reference "
                             f"({assignment.reference}): rename it")
        shutil.copytree(assignment.reference, dest / "reference", ignore=SKIP)
        meta = dest / "assignment.yaml"
        text, count = REFERENCE_LINE.subn("reference: reference  # packaged beside the scenarios",
                                          meta.read_text(encoding="utf-8"))
        if count != 1:
            raise UsageError(f"{assignment.root / 'assignment.yaml'}: no single top-level `reference: PATH` line to "
                             f"point at the packaged reference")
        meta.write_text(text, encoding="utf-8")
    if assignment.shared:  # the files other labs keep join the packaged reference, which keeps them itself
        packaged_reference = dest / (assignment.reference.relative_to(assignment.root)
                                     if assignment.reference.is_relative_to(assignment.root) else "reference")
        for name, source in assignment.shared.items():
            shutil.copyfile(source, packaged_reference / name)
        meta = dest / "assignment.yaml"
        meta.write_text(SHARED_BLOCK.sub("", meta.read_text(encoding="utf-8")), encoding="utf-8")
    packaged = load_assignment(dest)  # the copy must be the same lab
    if [set(s.names) for s in packaged.scenarios] != [set(s.names) for s in assignment.scenarios]:  # any language
        raise UsageError(f"the packaged copy of {assignment.root} does not load the same scenarios")
    return dest


# -- the zip ------------------------------------------------------------------------------------

def package(lab: str, out: Path, wheelhouse_machine: str | None = None, lang: str | None = None) -> Path:
    """The zip; with a wheelhouse for that machine (x86_64...) when `wheelhouse_machine` is given; run_autograder
    grades and speaks `lang` (None: the lab's `language:`, else the locale's)."""
    assignment = for_assignment(load_assignment(find_assignment(lab)), lang)
    with tempfile.TemporaryDirectory(prefix="labgrade-gradescope-") as tmp:
        wheel = build_wheel(Path(tmp))
        staged = stage_assignment(assignment, Path(tmp) / "assignment")
        wheels = download_wheelhouse(wheel, Path(tmp) / "wheelhouse", wheelhouse_machine) if wheelhouse_machine else []
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w") as z:
            zip_write(z, "setup.sh", SETUP_SH.format(version=__version__, wheel=wheel.name).encode(), 0o755)
            zip_write(z, "run_autograder", run_autograder(assignment).encode(), 0o755)
            zip_write(z, wheel.name, wheel.read_bytes())
            for p in files_under(staged):
                zip_write(z, f"assignment/{p.relative_to(staged).as_posix()}", p.read_bytes(),
                          0o755 if p.stat().st_mode & 0o100 else 0o644)
            for p in wheels:
                zip_write(z, f"wheelhouse/{p.name}", p.read_bytes())
    return out
