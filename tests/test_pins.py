"""Pins: exact everywhere, and the same for pip (requirements.txt) and conda (environment.yml)."""

import re
from pathlib import Path

from sfn_tutorial.environment_check import pinned_requirements

ROOT = Path(__file__).resolve().parent.parent


def conda_pip_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        match = re.fullmatch(r"\s+- ([A-Za-z0-9_.\-]+)(?:\[[a-z,]+\])?==(\S+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def test_every_requirement_is_pinned_exactly():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            assert re.fullmatch(r"[A-Za-z0-9_.\-]+(\[[a-z,]+\])?==[0-9][0-9A-Za-z.]*", line), line


def test_environment_yml_agrees_with_requirements_txt():
    assert conda_pip_pins() == pinned_requirements()


def test_constraints_agree_with_requirements():
    constraints = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            constraints[name.lower()] = version
    for name, version in pinned_requirements().items():
        assert constraints.get(name) == version, name


def test_graphviz_binary_is_in_environment_yml():
    assert re.search(r"^\s+- graphviz=\d", (ROOT / "environment.yml").read_text(), re.M)
