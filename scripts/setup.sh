#!/usr/bin/env bash
# One-time set-up, run by `make lab` and `make test`: system packages, then .venv with a learner's
# pins (requirements.txt). `setup.sh test` (run by `make test` only) adds the test tools
# (requirements-test.txt); `setup.sh browser` (`make test` too) installs Chromium for the browser
# test. `PYTHON=/path/to/python3.X` chooses the Python of a new .venv; without it the first
# supported one found is used: python3, python3.13 ... python3.10, then pyenv's versions.
# `VENV=folder` sets up another folder than .venv (scripts/check_pythons.sh uses it).
#
# Packages are installed with uv, the pinned version in requirements-bootstrap.txt, which this
# script fetches once from the package index into a folder of the user's cache (a tiny venv of
# its own) and reuses for every later set-up: a fresh .venv then takes seconds, where pip takes
# most of a minute. When uv cannot be had (no network to the index for it, an old platform),
# pip installs the same pins, a note says so, and the result is the same.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
# The Pythons the pins install and run on, newest first (tests/test_pins.py keeps this list,
# pyproject.toml's requires-python and sfn_tutorial/environment_check.py in step).
SUPPORTED_PYTHONS="3.13 3.12 3.11 3.10"
RANGE="${SUPPORTED_PYTHONS##* } to ${SUPPORTED_PYTHONS%% *}"  # "3.10 to 3.13", for messages

die() { echo "$*" >&2; exit 1; }

# "3.11" for a Python that runs, nothing for one that does not (e.g. a pyenv shim of no version)
minor_version() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }
supported() { [ -n "$1" ] && case " $SUPPORTED_PYTHONS " in *" $1 "*) true ;; *) false ;; esac; }

# The Python for a new .venv: $PYTHON if set (and supported), else the first supported one found.
choose_python() {
  if [ -n "${PYTHON:-}" ]; then
    local version; version=$(minor_version "$PYTHON") || die "PYTHON=$PYTHON does not run."
    supported "$version" || die "PYTHON=$PYTHON is Python $version, but the pinned packages" \
      "need Python $RANGE: point PYTHON at one of those."
    echo "$PYTHON"; return
  fi
  local candidate pyenv=${PYENV_ROOT:-$HOME/.pyenv}
  for candidate in python3 $(printf 'python%s ' $SUPPORTED_PYTHONS) \
    $(ls -d "$pyenv"/versions/3.*/bin/python3 2>/dev/null | sort -rV); do
    if supported "$(minor_version "$candidate")"; then echo "$candidate"; return; fi
  done
  die "No Python $RANGE found (python3 is $(python3 --version 2>&1 | head -1)): install" \
    "one (your distribution's python3.X-venv package, or 'pyenv install ${SUPPORTED_PYTHONS%% *}'), or name it with" \
    "PYTHON=/path/to/python3.X, then run make again."
}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  echo "==> Installing with apt-get: $*"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

install_chromium() {
  # Chromium lets tests/test_browser.py use notebook 04's widgets in a real browser (headless,
  # driven by Playwright; never Playwright's own browser download). Only `make test` needs it:
  # without it that test is skipped, except in CI (CI set), where it fails.
  if command -v chromium >/dev/null 2>&1; then return; fi
  if command -v apt-get >/dev/null 2>&1; then
    apt_install chromium || echo "Could not install Debian's 'chromium' package (on Ubuntu it" \
      "is a snap: 'sudo snap install chromium'); tests/test_browser.py will be skipped." >&2
  else
    echo "Chromium is not installed: tests/test_browser.py will be skipped." >&2
  fi
}

# ---------------------------------------------------------------- installing with uv (or pip)

UV_PYTHON_DOWNLOADS=never  # uv uses the Python chosen here, never one it downloads
export UV_PYTHON_DOWNLOADS

pin() { grep -E "^$1==" requirements-bootstrap.txt; }  # "uv==0.13.9"

# The folder of the user's cache that holds the pinned uv (the same for every clone and venv)
uv_home() { echo "${XDG_CACHE_HOME:-$HOME/.cache}/sfn-tutorial/$(pin uv | sed 's/==/-/')"; }

# Python $1 can make virtual environments with pip in them: Debian's system Python needs its
# python3.X-venv package for that (installed here when apt-get is there).
ensure_venv_module() {
  local version; version=$(minor_version "$1")
  if ! "$1" -c "import ensurepip, venv" >/dev/null 2>&1 && command -v apt-get >/dev/null; then
    apt_install "python$version-venv"
  fi
}

# UV: the path of the pinned uv, fetched once with pip into the user's cache (Python $1 makes
# the tiny venv that holds it); empty, with a note, if it cannot be had. Looked up once per run.
UV="" UV_LOOKED_UP=""
load_uv() {
  [ -z "$UV_LOOKED_UP" ] || return 0
  UV_LOOKED_UP=yes
  local home; home=$(uv_home)
  if [ ! -x "$home/bin/uv" ]; then
    local python=${1:-$(choose_python)}
    ensure_venv_module "$python"
    rm -rf "$home.partial"
    if ! { "$python" -m venv "$home.partial" &&
      "$home.partial/bin/python" -m pip install -q --disable-pip-version-check "$(pin uv)" &&
      mv "$home.partial" "$home"; } >/dev/null 2>&1; then
      rm -rf "$home.partial"
      echo "Note: could not install $(pin uv) (requirements-bootstrap.txt); pip installs the" \
        "same pins instead, only slower." >&2
      return 0
    fi
  fi
  UV="$home/bin/uv"
}

# Make the virtual environment $2 with Python $1: with uv when it can be had, else venv.
create_venv() {
  local python=$1 venv=$2
  echo "==> Creating $venv with $("$python" --version) ($(command -v "$python"))"
  load_uv "$python"
  if [ -n "$UV" ] && "$UV" venv --quiet --python "$python" "$venv"; then
    return
  fi
  ensure_venv_module "$python"
  "$python" -m venv "$venv"
}

# Install into the virtual environment $1 what the remaining arguments name (pip's -r/-c syntax),
# with uv; with pip when uv cannot be had or fails (e.g. an index only pip is configured for).
install_pins() {
  local venv=$1; shift
  load_uv "$venv/bin/python"
  if [ -n "$UV" ] && "$UV" pip install --quiet --python "$venv/bin/python" "$@"; then
    return
  fi
  [ -z "$UV" ] || echo "Note: uv could not install the pins; pip installs them instead." >&2
  "$venv/bin/python" -m ensurepip >/dev/null 2>&1 || true  # a venv that uv made has no pip yet
  "$venv/bin/python" -m pip install -q --disable-pip-version-check "$@"
}

# The project itself (helpers.py and sfn_tutorial), editable: its code is this checkout's.
install_project() {
  load_uv "$1/bin/python"
  if [ -n "$UV" ] && "$UV" pip install --quiet --python "$1/bin/python" --no-deps -e .; then
    return
  fi
  "$1/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e .
}

if [ "${1:-}" = "browser" ]; then  # `make test`, after the set-up below
  install_chromium
  exit 0
fi

if [ "${1:-}" = "test" ]; then  # `make test`: the test tools, on top of the set-up below
  [ -x "$VENV/bin/python" ] || die "$VENV is missing: run 'bash scripts/setup.sh' first."
  echo "==> Installing the pinned test tools into $VENV"
  install_pins "$VENV" -r requirements.txt -r requirements-test.txt -c constraints.txt
  exit 0
fi

# graphviz's `dot` program draws the state machines; the Python package only calls it.
if ! command -v dot >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    apt_install graphviz
  elif command -v brew >/dev/null 2>&1; then
    echo "==> Installing graphviz with Homebrew"; brew install graphviz
  else
    echo "graphviz's 'dot' program is missing. Install graphviz with your package manager" >&2
    echo "(conda users: 'conda env create -f environment.yml' brings it), then run make again." >&2
    exit 1
  fi
fi

if [ -x "$VENV/bin/python" ]; then
  version=$(minor_version "$VENV/bin/python" || true)
  supported "$version" || die "$VENV was made with Python ${version:-that no longer runs}, which" \
    "the pinned packages do not support (they need $RANGE): remove it with" \
    "'rm -rf $VENV' and run make again."
  if [ -n "${PYTHON:-}" ] && [ "$(minor_version "$PYTHON" || true)" != "$version" ]; then
    echo "Note: $VENV exists with Python $version; PYTHON=$PYTHON is used only for a new one" \
      "(rm -rf $VENV first)." >&2
  fi
else
  python=$(choose_python)
  create_venv "$python" "$VENV"
fi
echo "==> Installing the pinned Python packages into $VENV"
# pip too (pinned), so that `%pip install` works in a notebook as learners expect
install_pins "$VENV" -r requirements.txt -c constraints.txt "$(pin pip)"
install_project "$VENV"
# JupyterLab opens without asking to fetch Jupyter's news (and never checks for updates): a
# settings override in the venv, for every learner who opens the tutorial with it
mkdir -p "$VENV/share/jupyter/lab/settings"
cp scripts/jupyterlab-overrides.json "$VENV/share/jupyter/lab/settings/overrides.json"
echo "==> Set-up done"
