"""Check that a learner's machine has what the tutorial needs, one ``[ OK ]`` line per item."""

from __future__ import annotations

import platform
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from sfn_tutorial.i18n import t

# What a learner installs (`make lab`); the test tools of `make test` are not checked here.
REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"
# The Pythons the pins are made for, each proven by `make check-pythons` (scripts/setup.sh,
# scripts/check_pythons.sh and pyproject.toml's requires-python say the same; a test checks).
SUPPORTED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")


def requirements(path: Path = REQUIREMENTS) -> list[Requirement]:
    """Each requirement line of a pip requirements (or constraints) file, comments left out."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def pinned_requirements(
    path: Path = REQUIREMENTS, python_version: str | None = None
) -> dict[str, str]:
    """The ``name==version`` pins that apply to this Python (or to ``python_version``, "3.10").

    A line with a marker such as ``; python_version < "3.11"`` applies only where it holds.
    """
    environment = {"python_version": python_version} if python_version else None
    pins = {}
    for requirement in requirements(path):
        if requirement.marker is None or requirement.marker.evaluate(environment):
            (specifier,) = requirement.specifier
            pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def package_lines(pins: dict[str, str]) -> list[tuple[bool, str]]:
    """One (ok, text) line per pinned package: installed at the pinned version or not."""
    lines = []
    for name, wanted in sorted(pins.items()):
        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            missing = t(
                "{name} is not installed (want {wanted}): run `make lab`", name=name, wanted=wanted
            )
            lines.append((False, missing))
            continue
        ok = found == wanted
        text = f"{name} {found}"
        if not ok:
            text = t("{name} {found} (pinned {wanted})", name=name, found=found, wanted=wanted)
        lines.append((ok, text))
    return lines


def dot_line() -> tuple[bool, str]:
    """Is graphviz's ``dot`` program on the PATH (the Python package alone cannot draw)?"""
    dot = shutil.which("dot")
    if not dot:
        return (
            False,
            t(
                "graphviz `dot` not found: `sudo apt-get install graphviz` or "
                "`brew install graphviz`"
            ),
        )
    version = subprocess.run([dot, "-V"], capture_output=True, text=True).stderr.strip()
    return True, f"graphviz dot ({version.replace('dot - graphviz version ', '').split()[0]})"


def python_line(version: str | None = None) -> tuple[bool, str]:
    """Is this Python (or ``version``, "3.13.0") one the pins are made and tested for?"""
    version = version or platform.python_version()
    if ".".join(version.split(".")[:2]) in SUPPORTED_PYTHONS:
        return True, f"Python {version}"
    first, last = SUPPORTED_PYTHONS[0], SUPPORTED_PYTHONS[-1]
    return False, t(
        "Python {version} is not supported: the pins need Python {first} to {last}",
        version=version,
        first=first,
        last=last,
    )


def check(pins: dict[str, str] | None = None) -> list[tuple[bool, str]]:
    """All checks: Python, each pinned package a learner needs, and ``dot``."""
    lines = [python_line()]
    lines += package_lines(pins if pins is not None else pinned_requirements())
    lines.append(dot_line())
    return lines


def report(lines: list[tuple[bool, str]]) -> str:
    """The checks as text, like ``[ OK ] boto3 1.44.8``."""
    return "\n".join(f"[{' OK ' if ok else 'FAIL'}] {text}" for ok, text in lines)
