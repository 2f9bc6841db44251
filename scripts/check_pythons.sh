#!/usr/bin/env bash
# `make check-pythons`: proves that the tutorial runs on each Python it supports. For each of
# them found on this machine (python3.X on the PATH, or pyenv's ~/.pyenv/versions/3.X.*), it makes
# a learner's set-up in a fresh temporary folder (scripts/setup.sh with VENV= and PYTHON=: the same
# requirements.txt and constraints.txt as `make lab`, installed with uv as there), adds the test
# tools (`setup.sh test`), and runs notebook 04 under strict nbval on the local target, as
# `make test` does (conftest.py starts its own emulator on a free port). One line per version;
# a version not found is skipped and said so. Exits 1 if any version found fails.
# `PYTHONS="3.10 3.13" make check-pythons` checks only those (or one not supported yet, to see).
set -uo pipefail
cd "$(dirname "$0")/.."
# The Pythons the pins are made for (tests/test_pins.py keeps this list in step with the others).
SUPPORTED_PYTHONS="3.10 3.11 3.12 3.13"
NOTEBOOK=notebooks/04_executions.ipynb
# notebook 00's environment check: every learner's pin for this Python is installed, [ OK ]
ENVIRONMENT_CHECK='import sys; from sfn_tutorial import environment_check as check
lines = check.check(); print(check.report(lines)); sys.exit(not all(ok for ok, _ in lines))'

minor_version() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }

find_python() {  # the path of a Python $1 ("3.12") that runs, or nothing
  local candidate pyenv=${PYENV_ROOT:-$HOME/.pyenv}
  for candidate in "python$1" $(ls -d "$pyenv/versions/$1".*/bin/python3 2>/dev/null | sort -rV); do
    if [ "$(minor_version "$candidate")" = "$1" ]; then command -v "$candidate"; return; fi
  done
}

duration() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

passed=0 failed=0 skipped=0
results=()
for version in ${PYTHONS:-$SUPPORTED_PYTHONS}; do
  python=$(find_python "$version")
  if [ -z "$python" ]; then
    results+=("Python $version  SKIPPED: not installed here (no python$version, no pyenv $version.*)")
    skipped=$((skipped + 1))
    echo "${results[-1]}"
    continue
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/check-python-$version.XXXXXX")
  log=$work/log.txt
  full=$("$python" -c 'import platform; print(platform.python_version())')
  echo "==> Python $full ($python): learner set-up in $work, then $NOTEBOOK"
  start=$SECONDS
  step="set-up"
  if VENV="$work/venv" PYTHON="$python" bash scripts/setup.sh >"$log" 2>&1 &&
    VENV="$work/venv" bash scripts/setup.sh test >>"$log" 2>&1; then
    setup_time=$((SECONDS - start))
    step="notebook"
    "$work/venv/bin/python" -c "$ENVIRONMENT_CHECK" >>"$log" 2>&1 &&
      TUTORIAL_TARGET=local "$work/venv/bin/python" -m pytest -p no:cacheprovider "$NOTEBOOK" \
        >>"$log" 2>&1
    status=$?
  else
    setup_time=$((SECONDS - start))
    status=1
  fi
  total=$((SECONDS - start))
  times="$(duration $total) (set-up $(duration $setup_time), notebook $(duration $((total - setup_time))))"
  if [ $status = 0 ]; then
    results+=("Python $full  PASSED in $times: $(tail -1 "$log" | tr -d '=' | xargs)")
    passed=$((passed + 1))
    rm -rf "$work"
  else
    results+=("Python $full  FAILED in the $step step after $times; log: $log")
    failed=$((failed + 1))
    tail -25 "$log"
  fi
  echo "${results[-1]}"
done

echo
echo "Python versions (a learner's set-up, its environment check and $NOTEBOOK):"
printf '  %s\n' "${results[@]}"
echo "check-pythons: $passed passed, $failed failed, $skipped skipped"
[ $failed = 0 ]
