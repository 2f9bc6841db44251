"""Check that a learner's machine has what the tutorial needs, one ``[ OK ]`` line per item."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"


def pinned_requirements(path: Path = REQUIREMENTS) -> dict[str, str]:
    """The ``name==version`` pins in requirements.txt, as ``{name: version}``."""
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[name.split("[", 1)[0].strip().lower()] = version.strip()
    return pins


def package_lines(pins: dict[str, str]) -> list[tuple[bool, str]]:
    """One (ok, text) line per pinned package: installed at the pinned version or not."""
    lines = []
    for name, wanted in sorted(pins.items()):
        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            lines.append((False, f"{name} is not installed (want {wanted}): run `make lab`"))
            continue
        ok = found == wanted
        lines.append((ok, f"{name} {found}" + ("" if ok else f" (pinned {wanted})")))
    return lines


def dot_line() -> tuple[bool, str]:
    """Is graphviz's ``dot`` program on the PATH (the Python package alone cannot draw)?"""
    dot = shutil.which("dot")
    if not dot:
        return (
            False,
            "graphviz `dot` not found: `sudo apt-get install graphviz` or `brew install graphviz`",
        )
    version = subprocess.run([dot, "-V"], capture_output=True, text=True).stderr.strip()
    return True, f"graphviz dot ({version.replace('dot - graphviz version ', '').split()[0]})"


def check(pins: dict[str, str] | None = None) -> list[tuple[bool, str]]:
    """All checks: Python, each pinned package, and ``dot``."""
    python_ok = sys.version_info >= (3, 10)
    lines = [(python_ok, f"Python {sys.version.split()[0]}")]
    lines += package_lines(pins if pins is not None else pinned_requirements())
    lines.append(dot_line())
    return lines


def report(lines: list[tuple[bool, str]]) -> str:
    """The checks as text, like ``[ OK ] boto3 1.44.8``."""
    return "\n".join(f"[{' OK ' if ok else 'FAIL'}] {text}" for ok, text in lines)
