#!/usr/bin/env bash
# One-time set-up, run by `make lab` and `make test`: system packages, then .venv with the pins.
# `setup.sh browser` (run by `make test` only) installs Chromium for the browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

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

if [ "${1:-}" = "browser" ]; then  # `make test`, after the set-up below
  install_chromium
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

# Debian's system Python needs python3-venv for `python3 -m venv`.
if ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then apt_install python3-venv python3-pip; fi
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> Creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
echo "==> Installing the pinned Python packages into .venv (first time: a minute or two)"
.venv/bin/python -m pip install -q --upgrade "pip==26.3" "setuptools==84.2.1"
.venv/bin/python -m pip install -q -r requirements.txt -c constraints.txt
.venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
echo "==> Set-up done"
