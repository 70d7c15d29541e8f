#!/usr/bin/env bash
# One entry point for a fresh checkout: sets up .venv (once), then runs what you ask.
#   ./dev.sh demo    grade the bundled example class with the local sandbox
#   ./dev.sh test    run the test suite (pytest arguments may follow)
#   ./dev.sh lint    ruff and mypy (strict) on the code, zizmor on every workflow labgrade writes or ships
#   ./dev.sh i18n    extract the texts for people, update the catalogs (grader/locale/*/LC_MESSAGES/labgrade.po), compile them
#   ./dev.sh grade … / ./dev.sh pytest …   run those with the venv's tools
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}

setup() {
  if [ ! -x .venv/bin/python ]; then
    "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
      || { echo "labgrade needs Python 3.11+ ($PY is $("$PY" -V 2>&1))" >&2; exit 1; }
    "$PY" -m venv .venv || { echo "cannot create .venv: on Debian/Ubuntu, apt-get install python3-venv" >&2; exit 1; }
  fi
  # reinstall only when the project's metadata changed since the last install
  if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[dev]'
    touch .venv/.installed
  fi
}

lint_workflows() {  # GitHub's hardening advice, offline: the Classroom workflow as written, docs/workflows/
  local tmp
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  .venv/bin/grade classroom init -a echo-concurrent --repo "$tmp" >/dev/null
  cp docs/workflows/*.yml "$tmp/.github/workflows/"
  .venv/bin/zizmor --offline --quiet "$tmp/.github/workflows"
}

i18n() {  # Babel: msgids from the code and templates (babel.cfg), each language's .po updated, then the .mo
  local pot
  pot=$(mktemp --suffix .pot)
  trap 'rm -f "$pot"' RETURN
  .venv/bin/pybabel extract -F babel.cfg -k Nn_:1,2 --add-location=file --sort-by-file --project labgrade \
    --copyright-holder "labgrade authors" -o "$pot" grader
  .venv/bin/pybabel update -i "$pot" -d grader/locale -D labgrade --no-fuzzy-matching --ignore-obsolete
  .venv/bin/pybabel compile -d grader/locale -D labgrade --statistics
}

cmd=${1:-help}; shift || true
case "$cmd" in
  demo)   setup; exec .venv/bin/grade examples/echo-concurrent --backend local "$@" ;;
  test)   setup; exec .venv/bin/python -m pytest "$@" ;;
  lint)   setup; .venv/bin/ruff check grader tests && .venv/bin/mypy && lint_workflows ;;
  grade)  setup; exec .venv/bin/grade "$@" ;;
  pytest) setup; exec .venv/bin/python -m pytest "$@" ;;
  i18n)   setup; i18n ;;
  *) sed -n "2,8p" "$0"; exit 2 ;;
esac
